create or replace package msgraph authid definer as
  /*
   * Minimum release: 11.2.0.4 (sql/README.md: release matrix; checked by
   * tools/plsql-gate for every declared release).
   * MSGRAPH: Microsoft Graph from PL/SQL through libmsgraph (an external
   * procedure library). Shaped after APEX_WEB_SERVICE and APEX_CREDENTIAL.
   * The DBA guide is sql/README.md.
   *
   * Credentials are registered in the extproc agent under the caller's
   * namespace, SYS_CONTEXT('USERENV','SESSION_USER') || '/' || p_name:
   * one schema never sees or uses another schema's credentials, even in
   * the multithreaded agent. With the default (dedicated) agent they live
   * as long as the database session; load_credentials (or create_credential)
   * again in a new session. A call whose credential is unknown loads the
   * agent's MSGRAPH_CREDENTIALS_FILE once and tries again; only the entries
   * the agent policy grants to the caller's schema are registered (none by
   * default), and create_credential may not name the agent's variables,
   * files, proxies or non-Microsoft endpoints unless the policy grants them
   * (e_refused). Security model: sql/README.md.
   */

  type t_header is record (name varchar2(256), value varchar2(32767));
  type t_headers is table of t_header index by pls_integer;

  c_default_scope constant varchar2(100) := 'https://graph.microsoft.com/.default';

  -- Set by every call (as APEX_WEB_SERVICE's globals).
  g_status_code      pls_integer;      -- HTTP status, or the library's negative status
  g_reason_phrase    varchar2(512);    -- 'OK', 'Not Found', or 'MSGRAPH_ERR_AUTH' ...
  g_request_id       varchar2(512);    -- Graph's request-id (else the client-request-id)
  g_response_headers t_headers;        -- the last response's headers (names in lower case)
  -- Headers sent with every following call until clear_request_headers.
  g_request_headers  t_headers;

  -- Errors: ORA-20001 .. ORA-20099, table in sql/README.md. The message
  -- carries Graph's or the token endpoint's code, message and request-id.
  e_invalid_argument      exception; pragma exception_init(e_invalid_argument,      -20001);
  e_credential_not_found  exception; pragma exception_init(e_credential_not_found,  -20002);
  e_configuration         exception; pragma exception_init(e_configuration,         -20003);
  e_authentication_failed exception; pragma exception_init(e_authentication_failed, -20004);
  e_transport             exception; pragma exception_init(e_transport,             -20005);
  e_timeout               exception; pragma exception_init(e_timeout,               -20006);
  e_throttled             exception; pragma exception_init(e_throttled,             -20007);
  e_refused               exception; pragma exception_init(e_refused,               -20008);
  e_too_large             exception; pragma exception_init(e_too_large,             -20009);
  e_result_limit          exception; pragma exception_init(e_result_limit,          -20010);
  e_resync_required       exception; pragma exception_init(e_resync_required,       -20011);
  e_charset               exception; pragma exception_init(e_charset,               -20012);
  e_access_policy_denied  exception; pragma exception_init(e_access_policy_denied,  -20013);
  e_access_denied         exception; pragma exception_init(e_access_denied,         -20014);
  e_not_found             exception; pragma exception_init(e_not_found,             -20015);
  e_bad_request           exception; pragma exception_init(e_bad_request,           -20016);
  e_conflict              exception; pragma exception_init(e_conflict,              -20017);
  e_server_error          exception; pragma exception_init(e_server_error,          -20018);
  e_internal              exception; pragma exception_init(e_internal,              -20099);

  ---------------------------------------------------------------- credentials
  -- APEX_CREDENTIAL.CREATE_CREDENTIAL + SET_PERSISTENT_CREDENTIALS in one.
  -- p_options: JSON object of further settings (authority_host,
  -- graph_base_url, cloud, timeout_ms, max_retries, proxy, ca_file ...).
  procedure create_credential(
    p_name          in varchar2,
    p_tenant_id     in varchar2,
    p_client_id     in varchar2,
    p_client_secret in varchar2,
    p_scope         in varchar2 default c_default_scope,
    p_options       in clob     default null);

  -- Loads a chmod-600 JSON file {"name": {config}, ...} readable by the
  -- agent's OS user; NULL: the agent's MSGRAPH_CREDENTIALS_FILE. Returns
  -- how many credentials were registered (in the caller's namespace).
  function load_credentials(p_path in varchar2 default null) return pls_integer;
  procedure load_credentials(p_path in varchar2 default null);

  procedure set_default_credential(p_name in varchar2);
  function  default_credential return varchar2;
  procedure drop_credential(p_name in varchar2);
  -- APEX_CREDENTIAL.CLEAR_TOKENS: the next call asks Entra ID again.
  procedure clear_tokens(p_name in varchar2 default null);

  ------------------------------------------------------------------- requests
  -- Any Graph request; like APEX_WEB_SERVICE.MAKE_REST_REQUEST it returns
  -- the body of HTTP error answers too (see g_status_code) and raises only
  -- when there is no HTTP answer (authentication, network, arguments ...).
  -- p_url: relative to the credential's graph_base_url ('/users') or an
  -- absolute URL on it (an @odata.nextLink). p_options: the library's
  -- options JSON {"headers":{...},"timeout_ms","max_retries",...}.
  function make_rest_request(
    p_url         in varchar2,
    p_http_method in varchar2 default 'GET',
    p_body        in clob     default null,
    p_credential  in varchar2 default null,
    p_options     in clob     default null) return clob;

  -- Raising helpers: any HTTP status >= 400 raises ORA-200xx too.
  function get(
    p_url in varchar2, p_credential in varchar2 default null, p_options in clob default null) return clob;
  function post(
    p_url in varchar2, p_body in clob, p_credential in varchar2 default null, p_options in clob default null) return clob;
  function patch(
    p_url in varchar2, p_body in clob, p_credential in varchar2 default null, p_options in clob default null) return clob;
  function put(
    p_url in varchar2, p_body in clob, p_credential in varchar2 default null, p_options in clob default null) return clob;
  procedure delete_(
    p_url in varchar2, p_credential in varchar2 default null, p_options in clob default null);
  -- Every page of a collection as {"value":[...]} (and the last page's
  -- @odata.deltaLink), at most p_max_items items.
  function get_all(
    p_url in varchar2, p_max_items in pls_integer default 100000,
    p_credential in varchar2 default null, p_options in clob default null) return clob;
  -- JSON array of {"id"?,"method","url","body"?,"headers"?,"dependsOn"?};
  -- returns {"responses":[{"id","status","headers","body"}...]} in order.
  function batch(
    p_requests in clob, p_credential in varchar2 default null, p_options in clob default null) return clob;
  -- The token's facts and decoded claims: {"token_type","expires_on",
  -- "expires_in","scope","source","credential","claims":{roles,appid,tid,...}}.
  function token_claims(
    p_credential in varchar2 default null, p_force_refresh in boolean default false) return clob;
  -- p_text as a JSON string literal (quotes included; 'null' for NULL),
  -- escaped by the library, every character kept exactly (those outside
  -- the BMP included). A temporary CLOB: free it when done.
  function json_string(p_text in clob) return clob;

  ---------------------------------------------------------------- headers etc.
  function  get_response_header(p_name in varchar2) return varchar2;
  procedure set_request_header(p_name in varchar2, p_value in varchar2);
  procedure clear_request_headers;
  -- Responses with characters the database character set cannot hold:
  -- 'ERROR' (default) raises e_charset; 'ESCAPE' writes them as JSON
  -- \uXXXX escapes (same JSON); 'REPLACE' lets Oracle substitute its
  -- replacement character. Irrelevant on AL32UTF8 databases.
  procedure set_charset_mode(p_mode in varchar2);
  function  version return varchar2;
  function  results_live return pls_integer;
end msgraph;
/
