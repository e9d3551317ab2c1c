create or replace package body msgraph as
  /*
   * Minimum release: 11.2.0.4 (sql/README.md: release matrix; checked by
   * tools/plsql-gate for every declared release).
   * Every external call is private to this body: callers cannot pass a
   * handle of their own, and only EXECUTE on MSGRAPH is granted.
   *
   * Text crosses into the agent as RAW holding UTF-8 (UTL_I18N), so the
   * agent's NLS settings never convert it. NULLs are passed with INDICATOR
   * SHORT; OUT RAW buffers carry INDICATOR, LENGTH and MAXLEN (SB4).
   * tests/oracle_callspec.rs checks every call spec below against the C
   * prototypes of include/msgraph.h; tests/oracle_agent.rs drives the
   * library exactly as these routines do.
   */

  c_utf8        constant varchar2(8) := 'AL32UTF8';
  c_inline_chars constant pls_integer := 8000;   -- 8000 characters are at most 32000 UTF-8 bytes
  c_chunk_bytes constant pls_integer := 32767;

  g_default_credential varchar2(128);
  g_charset_mode       varchar2(8) := 'ERROR';
  g_db_charset         varchar2(64);
  g_autoloaded         boolean := false;

  ------------------------------------------------------------ external calls

  function xp_credential_set(
    p_name in raw, p_tenant_id in raw, p_client_id in raw, p_client_secret in raw,
    p_scope in raw, p_options in raw, p_err out raw) return pls_integer
  as language c library msgraph_lib name "msgraph_xp_credential_set"
  parameters (
    p_name raw, p_name indicator short, p_name length sb4,
    p_tenant_id raw, p_tenant_id indicator short, p_tenant_id length sb4,
    p_client_id raw, p_client_id indicator short, p_client_id length sb4,
    p_client_secret raw, p_client_secret indicator short, p_client_secret length sb4,
    p_scope raw, p_scope indicator short, p_scope length sb4,
    p_options raw, p_options indicator short, p_options length sb4,
    p_err raw, p_err indicator short, p_err length sb4, p_err maxlen sb4,
    return int);

  function xp_credentials_load(p_path in raw, p_prefix in raw, p_err out raw) return pls_integer
  as language c library msgraph_lib name "msgraph_xp_credentials_load"
  parameters (
    p_path raw, p_path indicator short, p_path length sb4,
    p_prefix raw, p_prefix indicator short, p_prefix length sb4,
    p_err raw, p_err indicator short, p_err length sb4, p_err maxlen sb4,
    return int);

  function xp_credential_remove(p_name in raw) return pls_integer
  as language c library msgraph_lib name "msgraph_xp_credential_remove"
  parameters (p_name raw, p_name indicator short, p_name length sb4, return int);

  function xp_credential_clear_tokens(p_name in raw) return pls_integer
  as language c library msgraph_lib name "msgraph_xp_clear_tokens"
  parameters (p_name raw, p_name indicator short, p_name length sb4, return int);

  function xp_body_new return pls_integer
  as language c library msgraph_lib name "msgraph_xp_body_new"
  parameters (return int);

  function xp_body_append(p_body in pls_integer, p_chunk in raw) return pls_integer
  as language c library msgraph_lib name "msgraph_xp_body_append"
  parameters (p_body int, p_chunk raw, p_chunk indicator short, p_chunk length sb4, return int);

  function xp_body_free(p_body in pls_integer) return pls_integer
  as language c library msgraph_lib name "msgraph_xp_body_free"
  parameters (p_body int, return int);

  function xp_request(
    p_credential in raw, p_method in raw, p_url in raw, p_body in raw,
    p_body_handle in pls_integer, p_options in raw, p_headers in raw,
    p_all_pages in pls_integer, p_max_items in pls_integer) return pls_integer
  as language c library msgraph_lib name "msgraph_xp_request"
  parameters (
    p_credential raw, p_credential indicator short, p_credential length sb4,
    p_method raw, p_method indicator short, p_method length sb4,
    p_url raw, p_url indicator short, p_url length sb4,
    p_body raw, p_body indicator short, p_body length sb4,
    p_body_handle int,
    p_options raw, p_options indicator short, p_options length sb4,
    p_headers raw, p_headers indicator short, p_headers length sb4,
    p_all_pages int,
    p_max_items int,
    return int);

  function xp_batch(
    p_credential in raw, p_requests in raw, p_requests_handle in pls_integer,
    p_options in raw, p_headers in raw) return pls_integer
  as language c library msgraph_lib name "msgraph_xp_batch"
  parameters (
    p_credential raw, p_credential indicator short, p_credential length sb4,
    p_requests raw, p_requests indicator short, p_requests length sb4,
    p_requests_handle int,
    p_options raw, p_options indicator short, p_options length sb4,
    p_headers raw, p_headers indicator short, p_headers length sb4,
    return int);

  function xp_token_info(p_credential in raw, p_options in raw) return pls_integer
  as language c library msgraph_lib name "msgraph_xp_token_info"
  parameters (
    p_credential raw, p_credential indicator short, p_credential length sb4,
    p_options raw, p_options indicator short, p_options length sb4,
    return int);

  function xp_result_info(
    p_result in pls_integer, p_status out pls_integer, p_length out pls_integer,
    p_ora_error out pls_integer, p_reason out raw, p_request_id out raw,
    p_message out raw) return pls_integer
  as language c library msgraph_lib name "msgraph_xp_result_info"
  parameters (
    p_result int,
    p_status int,
    p_length int,
    p_ora_error int,
    p_reason raw, p_reason indicator short, p_reason length sb4, p_reason maxlen sb4,
    p_request_id raw, p_request_id indicator short, p_request_id length sb4, p_request_id maxlen sb4,
    p_message raw, p_message indicator short, p_message length sb4, p_message maxlen sb4,
    return int);

  function xp_result_read(p_result in pls_integer, p_offset in pls_integer, p_buf out raw) return pls_integer
  as language c library msgraph_lib name "msgraph_xp_result_read"
  parameters (
    p_result int, p_offset int,
    p_buf raw, p_buf indicator short, p_buf length sb4, p_buf maxlen sb4,
    return int);

  function xp_result_headers_read(p_result in pls_integer, p_offset in pls_integer, p_buf out raw) return pls_integer
  as language c library msgraph_lib name "msgraph_xp_result_headers_read"
  parameters (
    p_result int, p_offset int,
    p_buf raw, p_buf indicator short, p_buf length sb4, p_buf maxlen sb4,
    return int);

  function xp_result_recode(p_result in pls_integer, p_charset in raw, p_mode in pls_integer) return pls_integer
  as language c library msgraph_lib name "msgraph_xp_result_recode"
  parameters (
    p_result int,
    p_charset raw, p_charset indicator short, p_charset length sb4,
    p_mode int,
    return int);

  function xp_status_error(p_status in pls_integer, p_message out raw) return pls_integer
  as language c library msgraph_lib name "msgraph_xp_status_error"
  parameters (
    p_status int,
    p_message raw, p_message indicator short, p_message length sb4, p_message maxlen sb4,
    return int);

  function xp_version(p_buf out raw) return pls_integer
  as language c library msgraph_lib name "msgraph_xp_version"
  parameters (p_buf raw, p_buf indicator short, p_buf length sb4, p_buf maxlen sb4, return int);

  -- The general C API's int32-only functions are used as they are.
  function xp_result_free(p_result in pls_integer) return pls_integer
  as language c library msgraph_lib name "msgraph_result_free"
  parameters (p_result int, return int);

  function xp_results_live return pls_integer
  as language c library msgraph_lib name "msgraph_results_live"
  parameters (return int);

  ------------------------------------------------------------------ helpers

  function utf8(p_text in varchar2) return raw is
  begin
    return utl_i18n.string_to_raw(p_text, c_utf8);
  end utf8;

  function utf8_clob(p_text in clob) return raw is
  begin
    if p_text is null or dbms_lob.getlength(p_text) = 0 then
      return null;
    end if;
    if dbms_lob.getlength(p_text) > c_inline_chars then
      raise_application_error(-20001, 'MSGRAPH_ERR_ARGUMENT: options longer than '
        || c_inline_chars || ' characters');
    end if;
    return utl_i18n.string_to_raw(dbms_lob.substr(p_text, c_inline_chars, 1), c_utf8);
  end utf8_clob;

  function text(p_raw in raw) return varchar2 is
  begin
    return utl_i18n.raw_to_char(p_raw, c_utf8);
  end text;

  -- The caller's namespace. The agent policy (sql/README.md, "Security
  -- model") takes the schema from it, so it is computed here from
  -- SESSION_USER, which the caller cannot change (CURRENT_SCHEMA it can,
  -- with ALTER SESSION), and never taken from an argument. The policy reads
  -- the schema up to the first '/': a user name holding one could pose as
  -- another schema, so such a user is refused.
  function namespace return varchar2 is
    l_user varchar2(128) := sys_context('USERENV', 'SESSION_USER');
  begin
    if l_user is null or instr(l_user, '/') > 0 then
      raise_application_error(-20008, 'MSGRAPH_ERR_REFUSED: MSGRAPH cannot serve a database user '
        || 'whose name contains a slash');
    end if;
    return l_user || '/';
  end namespace;

  function qualified(p_name in varchar2) return raw is
    l_name varchar2(256) := coalesce(p_name, g_default_credential);
  begin
    if l_name is null then
      raise_application_error(-20001, 'MSGRAPH_ERR_ARGUMENT: no credential: pass p_credential '
        || 'or call msgraph.set_default_credential');
    end if;
    return utf8(namespace || l_name);
  end qualified;

  -- Raises for a negative status of a call without a result.
  procedure raise_status(p_status in pls_integer, p_message in raw default null) is
    l_text raw(2000);
    l_code pls_integer;
  begin
    l_code := xp_status_error(p_status, l_text);
    if l_code = 0 then
      return;
    end if;
    if p_message is not null then
      l_text := p_message;
    end if;
    raise_application_error(-l_code, substr(text(l_text), 1, 2000));
  end raise_status;

  function db_charset return varchar2 is
  begin
    if g_db_charset is null then
      select value into g_db_charset from nls_database_parameters where parameter = 'NLS_CHARACTERSET';
    end if;
    return g_db_charset;
  end db_charset;

  -- Moves a CLOB into the agent: inline when small (returns the RAW), else
  -- as an upload body (p_handle > 0), converted to UTF-8 by Oracle with
  -- DBMS_LOB.CONVERTTOBLOB (never splits a character) and sent in 32767
  -- byte chunks.
  procedure clob_to_agent(p_clob in clob, p_inline out raw, p_handle out pls_integer) is
    l_blob     blob;
    l_dest     integer := 1;
    l_src      integer := 1;
    l_ctx      integer := dbms_lob.default_lang_ctx;
    l_warn     integer;
    l_len      integer;
    l_pos      integer := 1;
    l_amount   integer;
    l_chunk    raw(32767);
    l_rc       pls_integer;
  begin
    p_inline := null;
    p_handle := 0;
    if p_clob is null or dbms_lob.getlength(p_clob) = 0 then
      return;
    end if;
    if dbms_lob.getlength(p_clob) <= c_inline_chars then
      p_inline := utl_i18n.string_to_raw(dbms_lob.substr(p_clob, c_inline_chars, 1), c_utf8);
      return;
    end if;
    dbms_lob.createtemporary(l_blob, true, dbms_lob.call);
    dbms_lob.converttoblob(l_blob, p_clob, dbms_lob.lobmaxsize, l_dest, l_src,
                           nls_charset_id(c_utf8), l_ctx, l_warn);
    p_handle := xp_body_new;
    if p_handle < 0 then
      l_rc := p_handle;
      p_handle := 0;
      raise_status(l_rc);
    end if;
    l_len := dbms_lob.getlength(l_blob);
    while l_pos <= l_len loop
      l_amount := c_chunk_bytes;
      dbms_lob.read(l_blob, l_amount, l_pos, l_chunk);
      l_rc := xp_body_append(p_handle, l_chunk);
      if l_rc < 0 then
        raise_status(l_rc);
      end if;
      l_pos := l_pos + l_amount;
    end loop;
    dbms_lob.freetemporary(l_blob);
  exception
    when others then
      if dbms_lob.istemporary(l_blob) = 1 then
        dbms_lob.freetemporary(l_blob);
      end if;
      if p_handle > 0 then
        l_rc := xp_body_free(p_handle);
        p_handle := 0;
      end if;
      raise;
  end clob_to_agent;

  function request_header_lines return raw is
    l_lines varchar2(32767);
  begin
    if g_request_headers.count = 0 then
      return null;
    end if;
    for i in g_request_headers.first .. g_request_headers.last loop
      if g_request_headers.exists(i) and g_request_headers(i).name is not null then
        l_lines := l_lines || g_request_headers(i).name || ': ' || g_request_headers(i).value || chr(10);
      end if;
    end loop;
    return utf8(l_lines);
  end request_header_lines;

  procedure read_headers(p_result in pls_integer) is
    l_buf   raw(8000);
    l_n     pls_integer;
    l_off   pls_integer := 0;
    l_text  varchar2(32767);
    l_line  varchar2(32767);
    l_nl    pls_integer;
    l_colon pls_integer;
  begin
    g_response_headers.delete;
    loop
      l_n := xp_result_headers_read(p_result, l_off, l_buf);
      exit when l_n <= 0;
      l_text := l_text || text(l_buf);
      l_off := l_off + l_n;
      exit when lengthb(l_text) > 24000;   -- headers beyond about 24000 bytes are dropped
    end loop;
    while l_text is not null loop
      l_nl := instr(l_text, chr(10));
      if l_nl = 0 then
        l_line := l_text;
        l_text := null;
      else
        l_line := substr(l_text, 1, l_nl - 1);
        l_text := substr(l_text, l_nl + 1);
      end if;
      l_colon := instr(l_line, ':');
      if l_colon > 1 then
        g_response_headers(g_response_headers.count + 1).name := substr(l_line, 1, l_colon - 1);
        g_response_headers(g_response_headers.count).value := ltrim(substr(l_line, l_colon + 1));
      end if;
    end loop;
  end read_headers;

  -- Reads a result's body into a temporary CLOB in 32767-byte chunks (the
  -- library never splits a UTF-8 character), checking the database
  -- character set as set_charset_mode says.
  function read_body(p_result in pls_integer, p_length in pls_integer) return clob is
    l_clob    clob;
    l_buf     raw(32767);
    l_text    varchar2(32767);
    l_n       pls_integer;
    l_off     pls_integer := 0;
    l_src     pls_integer := p_result;
    l_escaped pls_integer := 0;
    l_check   boolean := false;
    l_first   pls_integer;
    l_rc      pls_integer;
  begin
    if p_length <= 0 then
      return null;
    end if;
    if db_charset <> c_utf8 and g_charset_mode <> 'REPLACE' then
      if g_charset_mode = 'ESCAPE' then
        l_escaped := xp_result_recode(p_result, utf8(db_charset), 1);
        if l_escaped > 0 then
          l_src := l_escaped;
        else
          l_check := true;   -- a character set the library does not know: compare in PL/SQL
        end if;
      else
        l_first := xp_result_recode(p_result, utf8(db_charset), 0);
        if l_first > 0 then
          raise_application_error(-20012, 'MSGRAPH_ERR_CHARSET: the response has characters that '
            || db_charset || ' cannot hold (first at byte ' || l_first
            || '); use an AL32UTF8 database or msgraph.set_charset_mode(''ESCAPE'' or ''REPLACE'')');
        end if;
        l_check := l_first < 0;  -- a character set the library does not know: compare in PL/SQL
      end if;
    end if;
    dbms_lob.createtemporary(l_clob, true, dbms_lob.call);
    loop
      l_n := xp_result_read(l_src, l_off, l_buf);
      if l_n < 0 then
        raise_status(l_n);
      end if;
      exit when l_n = 0;
      l_text := utl_i18n.raw_to_char(l_buf, c_utf8);
      if l_check and utl_raw.compare(utl_i18n.string_to_raw(l_text, c_utf8), l_buf) <> 0 then
        raise_application_error(-20012, 'MSGRAPH_ERR_CHARSET: the response has characters that '
          || db_charset || ' cannot hold (in bytes ' || (l_off + 1) || ' to ' || (l_off + l_n)
          || '); use an AL32UTF8 database or msgraph.set_charset_mode(''REPLACE'')');
      end if;
      dbms_lob.writeappend(l_clob, length2(l_text), l_text);   -- CLOB amounts count UCS-2 code units
      l_off := l_off + l_n;
    end loop;
    if l_escaped > 0 then
      l_rc := xp_result_free(l_escaped);
    end if;
    return l_clob;
  exception
    when others then
      if l_escaped > 0 then
        l_rc := xp_result_free(l_escaped);
      end if;
      if dbms_lob.istemporary(l_clob) = 1 then
        dbms_lob.freetemporary(l_clob);
      end if;
      raise;
  end read_body;

  -- Sets the globals from a result, raises (p_raise_http: for HTTP errors
  -- too), reads the body, frees the result.
  function finish(p_result in pls_integer, p_raise_http in boolean) return clob is
    l_status  pls_integer;
    l_length  pls_integer;
    l_ora     pls_integer;
    l_reason  raw(256);
    l_rid     raw(256);
    l_message raw(2000);
    l_rc      pls_integer;
    l_body    clob;
  begin
    if p_result < 0 then
      raise_status(p_result);
    end if;
    l_rc := xp_result_info(p_result, l_status, l_length, l_ora, l_reason, l_rid, l_message);
    if l_rc < 0 then
      raise_status(l_rc);
    end if;
    g_status_code   := l_status;
    g_reason_phrase := substr(text(l_reason), 1, 256);
    g_request_id    := substr(text(l_rid), 1, 256);
    read_headers(p_result);
    if l_ora <> 0 and (p_raise_http or l_status < 0) then
      raise_application_error(-l_ora, substr(text(l_message), 1, 2000));
    end if;
    l_body := read_body(p_result, l_length);
    l_rc := xp_result_free(p_result);
    return l_body;
  exception
    when others then
      if p_result > 0 then
        l_rc := xp_result_free(p_result);
      end if;
      raise;
  end finish;

  -- The credential is unknown in this agent (a new session, or an agent
  -- that restarted): load MSGRAPH_CREDENTIALS_FILE once and say whether
  -- it is worth trying again.
  function autoload(p_result in pls_integer) return boolean is
    l_status  pls_integer;
    l_length  pls_integer;
    l_ora     pls_integer;
    l_reason  raw(256);
    l_rid     raw(256);
    l_message raw(2000);
    l_err     raw(2000);
    l_rc      pls_integer;
  begin
    if g_autoloaded or p_result <= 0 then
      return false;
    end if;
    l_rc := xp_result_info(p_result, l_status, l_length, l_ora, l_reason, l_rid, l_message);
    if l_rc < 0 or l_status <> -2 then
      return false;
    end if;
    g_autoloaded := true;
    l_rc := xp_credentials_load(null, utf8(namespace), l_err);
    if l_rc > 0 then
      l_rc := xp_result_free(p_result);
      return true;
    end if;
    return false;
  end autoload;

  function call(
    p_url in varchar2, p_method in varchar2, p_body in clob, p_credential in varchar2,
    p_options in clob, p_raise_http in boolean,
    p_all_pages in pls_integer default 0, p_max_items in pls_integer default 0) return clob
  is
    l_inline raw(32767);
    l_handle pls_integer;
    l_result pls_integer;
    l_rc     pls_integer;
  begin
    for l_try in 1 .. 2 loop
      clob_to_agent(p_body, l_inline, l_handle);
      l_result := xp_request(qualified(p_credential), utf8(upper(p_method)), utf8(p_url),
                             l_inline, l_handle, utf8_clob(p_options), request_header_lines,
                             p_all_pages, p_max_items);
      l_handle := 0;  -- consumed by the call
      exit when l_try = 2 or not autoload(l_result);
    end loop;
    return finish(l_result, p_raise_http);
  exception
    when others then
      if l_handle > 0 then
        l_rc := xp_body_free(l_handle);
      end if;
      raise;
  end call;

  ------------------------------------------------------------- credentials

  procedure create_credential(
    p_name in varchar2, p_tenant_id in varchar2, p_client_id in varchar2,
    p_client_secret in varchar2, p_scope in varchar2 default c_default_scope,
    p_options in clob default null)
  is
    l_err raw(2000);
    l_rc  pls_integer;
  begin
    if p_name is null then
      raise_application_error(-20001, 'MSGRAPH_ERR_ARGUMENT: p_name is NULL');
    end if;
    l_rc := xp_credential_set(utf8(namespace || p_name), utf8(p_tenant_id), utf8(p_client_id),
                              utf8(p_client_secret), utf8(p_scope), utf8_clob(p_options), l_err);
    if l_rc < 0 then
      raise_status(l_rc, l_err);
    end if;
  end create_credential;

  function load_credentials(p_path in varchar2 default null) return pls_integer is
    l_err raw(2000);
    l_rc  pls_integer;
  begin
    l_rc := xp_credentials_load(utf8(p_path), utf8(namespace), l_err);
    if l_rc < 0 then
      raise_status(l_rc, l_err);
    end if;
    g_autoloaded := true;
    return l_rc;
  end load_credentials;

  procedure load_credentials(p_path in varchar2 default null) is
    l_n pls_integer;
  begin
    l_n := load_credentials(p_path);
  end load_credentials;

  procedure set_default_credential(p_name in varchar2) is
  begin
    g_default_credential := p_name;
  end set_default_credential;

  function default_credential return varchar2 is
  begin
    return g_default_credential;
  end default_credential;

  procedure drop_credential(p_name in varchar2) is
    l_rc pls_integer;
  begin
    l_rc := xp_credential_remove(qualified(p_name));
    if l_rc < 0 then
      raise_status(l_rc);
    end if;
  end drop_credential;

  procedure clear_tokens(p_name in varchar2 default null) is
    l_rc pls_integer;
  begin
    l_rc := xp_credential_clear_tokens(qualified(p_name));
    if l_rc < 0 then
      raise_status(l_rc);
    end if;
  end clear_tokens;

  ---------------------------------------------------------------- requests

  function make_rest_request(
    p_url in varchar2, p_http_method in varchar2 default 'GET', p_body in clob default null,
    p_credential in varchar2 default null, p_options in clob default null) return clob is
  begin
    return call(p_url, p_http_method, p_body, p_credential, p_options, false);
  end make_rest_request;

  function get(p_url in varchar2, p_credential in varchar2 default null, p_options in clob default null)
    return clob is
  begin
    return call(p_url, 'GET', null, p_credential, p_options, true);
  end get;

  function post(p_url in varchar2, p_body in clob, p_credential in varchar2 default null,
                p_options in clob default null) return clob is
  begin
    return call(p_url, 'POST', p_body, p_credential, p_options, true);
  end post;

  function patch(p_url in varchar2, p_body in clob, p_credential in varchar2 default null,
                 p_options in clob default null) return clob is
  begin
    return call(p_url, 'PATCH', p_body, p_credential, p_options, true);
  end patch;

  function put(p_url in varchar2, p_body in clob, p_credential in varchar2 default null,
               p_options in clob default null) return clob is
  begin
    return call(p_url, 'PUT', p_body, p_credential, p_options, true);
  end put;

  procedure delete_(p_url in varchar2, p_credential in varchar2 default null, p_options in clob default null) is
    l_body clob;
  begin
    l_body := call(p_url, 'DELETE', null, p_credential, p_options, true);
    if dbms_lob.istemporary(l_body) = 1 then
      dbms_lob.freetemporary(l_body);
    end if;
  end delete_;

  function get_all(p_url in varchar2, p_max_items in pls_integer default 100000,
                   p_credential in varchar2 default null, p_options in clob default null) return clob is
  begin
    return call(p_url, 'GET', null, p_credential, p_options, true, 1, greatest(coalesce(p_max_items, 0), 0));
  end get_all;

  function batch(p_requests in clob, p_credential in varchar2 default null, p_options in clob default null)
    return clob
  is
    l_inline raw(32767);
    l_handle pls_integer := 0;
    l_result pls_integer;
    l_rc     pls_integer;
  begin
    if p_requests is null then
      raise_application_error(-20001, 'MSGRAPH_ERR_ARGUMENT: p_requests is NULL');
    end if;
    for l_try in 1 .. 2 loop
      clob_to_agent(p_requests, l_inline, l_handle);
      l_result := xp_batch(qualified(p_credential), l_inline, l_handle, utf8_clob(p_options),
                           request_header_lines);
      l_handle := 0;
      exit when l_try = 2 or not autoload(l_result);
    end loop;
    return finish(l_result, true);
  exception
    when others then
      if l_handle > 0 then
        l_rc := xp_body_free(l_handle);
      end if;
      raise;
  end batch;

  function token_claims(p_credential in varchar2 default null, p_force_refresh in boolean default false)
    return clob
  is
    l_result pls_integer;
    l_options varchar2(40);
  begin
    if p_force_refresh then
      l_options := '{"force_refresh":true}';
    end if;
    for l_try in 1 .. 2 loop
      l_result := xp_token_info(qualified(p_credential), utf8(l_options));
      exit when l_try = 2 or not autoload(l_result);
    end loop;
    return finish(l_result, true);
  end token_claims;

  ------------------------------------------------------------ headers etc.

  function get_response_header(p_name in varchar2) return varchar2 is
  begin
    if g_response_headers.count > 0 then
      for i in 1 .. g_response_headers.count loop
        if lower(g_response_headers(i).name) = lower(p_name) then
          return g_response_headers(i).value;
        end if;
      end loop;
    end if;
    return null;
  end get_response_header;

  procedure set_request_header(p_name in varchar2, p_value in varchar2) is
    l_i pls_integer;
  begin
    if p_name is null or instr(p_name, ':') > 0 or instr(p_value, chr(10)) > 0 or instr(p_value, chr(13)) > 0 then
      raise_application_error(-20001, 'MSGRAPH_ERR_ARGUMENT: invalid request header');
    end if;
    l_i := g_request_headers.count + 1;
    g_request_headers(l_i).name := p_name;
    g_request_headers(l_i).value := p_value;
  end set_request_header;

  procedure clear_request_headers is
  begin
    g_request_headers.delete;
  end clear_request_headers;

  procedure set_charset_mode(p_mode in varchar2) is
  begin
    if upper(p_mode) not in ('ERROR', 'ESCAPE', 'REPLACE') or p_mode is null then
      raise_application_error(-20001, 'MSGRAPH_ERR_ARGUMENT: charset mode must be ERROR, ESCAPE or REPLACE');
    end if;
    g_charset_mode := upper(p_mode);
  end set_charset_mode;

  function version return varchar2 is
    l_buf raw(100);
    l_rc  pls_integer;
  begin
    l_rc := xp_version(l_buf);
    return text(l_buf);
  end version;

  function results_live return pls_integer is
  begin
    return xp_results_live;
  end results_live;
end msgraph;
/
