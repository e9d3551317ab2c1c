create or replace package body msgraph_sync as
  /*
   * Minimum release: 18 (JSON_TABLE columns returning CLOB); install.sql
   * skips it below that (sql/README.md: release matrix).
   * The external calls below are private to this body, as MSGRAPH's are;
   * tests/sync_xp.rs checks them against include/msgraph.h. The delta
   * rounds themselves run in the library (msgraph_xp_sync_round); this
   * body chunks the mailboxes, moves the collections in and the change
   * sets out, and applies them set-based. tests/extproc/sync.c ports the
   * round of a chunk to C (the same calls, commit points and statements'
   * effects, the tables emulated) and runs it through the agent
   * emulation; the SQL itself is verified only on paper (sql/SYNC.md).
   */

  c_utf8        constant varchar2(8) := 'AL32UTF8';
  c_inline_chars constant pls_integer := 8000;   -- 8000 characters are at most 32000 UTF-8 bytes
  c_chunk_bytes constant pls_integer := 32767;
  c_lock_prefix constant varchar2(30) := 'MSGRAPH_SYNC_CHUNK_';

  g_run_id      number;
  g_run_started timestamp;

  ------------------------------------------------------------ external calls

  function xs_body_new return pls_integer
  as language c library msgraph_lib name "msgraph_xp_body_new"
  parameters (return int);

  function xs_body_append(p_body in pls_integer, p_chunk in raw) return pls_integer
  as language c library msgraph_lib name "msgraph_xp_body_append"
  parameters (p_body int, p_chunk raw, p_chunk indicator short, p_chunk length sb4, return int);

  function xs_body_free(p_body in pls_integer) return pls_integer
  as language c library msgraph_lib name "msgraph_xp_body_free"
  parameters (p_body int, return int);

  function xs_round(
    p_credential in raw, p_collections in raw, p_collections_handle in pls_integer,
    p_options in raw, p_previous in pls_integer) return pls_integer
  as language c library msgraph_lib name "msgraph_xp_sync_round"
  parameters (
    p_credential raw, p_credential indicator short, p_credential length sb4,
    p_collections raw, p_collections indicator short, p_collections length sb4,
    p_collections_handle int,
    p_options raw, p_options indicator short, p_options length sb4,
    p_previous int,
    return int);

  function xs_result_info(
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

  function xs_result_read(p_result in pls_integer, p_offset in pls_integer, p_buf out raw) return pls_integer
  as language c library msgraph_lib name "msgraph_xp_result_read"
  parameters (
    p_result int, p_offset int,
    p_buf raw, p_buf indicator short, p_buf length sb4, p_buf maxlen sb4,
    return int);

  function xs_result_recode(p_result in pls_integer, p_charset in raw, p_mode in pls_integer) return pls_integer
  as language c library msgraph_lib name "msgraph_xp_result_recode"
  parameters (
    p_result int,
    p_charset raw, p_charset indicator short, p_charset length sb4,
    p_mode int,
    return int);

  function xs_status_error(p_status in pls_integer, p_message out raw) return pls_integer
  as language c library msgraph_lib name "msgraph_xp_status_error"
  parameters (
    p_status int,
    p_message raw, p_message indicator short, p_message length sb4, p_message maxlen sb4,
    return int);

  function xs_result_free(p_result in pls_integer) return pls_integer
  as language c library msgraph_lib name "msgraph_result_free"
  parameters (p_result int, return int);

  ------------------------------------------------------------------ helpers

  function utf8(p_text in varchar2) return raw is
  begin
    return utl_i18n.string_to_raw(p_text, c_utf8);
  end utf8;

  function text(p_raw in raw) return varchar2 is
  begin
    return utl_i18n.raw_to_char(p_raw, c_utf8);
  end text;

  -- The registry name: SESSION_USER's namespace, as MSGRAPH computes it
  -- (a job session of DBMS_PARALLEL_EXECUTE runs as the task's owner).
  function qualified(p_credential in varchar2) return raw is
    l_user varchar2(128) := sys_context('USERENV', 'SESSION_USER');
    l_name varchar2(256) := coalesce(p_credential, msgraph.default_credential);
  begin
    if l_user is null or instr(l_user, '/') > 0 then
      raise_application_error(-20008, 'MSGRAPH_ERR_REFUSED: MSGRAPH cannot serve a database user '
        || 'whose name contains a slash');
    end if;
    if l_name is null then
      raise_application_error(-20001, 'MSGRAPH_ERR_ARGUMENT: no credential: pass p_credential '
        || 'or call msgraph.set_default_credential');
    end if;
    return utf8(l_user || '/' || l_name);
  end qualified;

  -- Raises for a negative status of a call without a result.
  procedure raise_status(p_status in pls_integer) is
    l_text raw(2000);
    l_code pls_integer;
  begin
    l_code := xs_status_error(p_status, l_text);
    if l_code <> 0 then
      raise_application_error(-l_code, substr(text(l_text), 1, 2000));
    end if;
  end raise_status;

  function db_charset return varchar2 is
    l_cs varchar2(64);
  begin
    select value into l_cs from nls_database_parameters where parameter = 'NLS_CHARACTERSET';
    return l_cs;
  end db_charset;

  -- The collections JSON into the agent: inline up to 8000 characters,
  -- else as an upload body (UTF-8 by DBMS_LOB.CONVERTTOBLOB, 32767-byte
  -- chunks).
  procedure clob_to_agent(p_clob in clob, p_inline out raw, p_handle out pls_integer) is
    l_blob   blob;
    l_dest   integer := 1;
    l_src    integer := 1;
    l_ctx    integer := dbms_lob.default_lang_ctx;
    l_warn   integer;
    l_len    integer;
    l_pos    integer := 1;
    l_amount integer;
    l_chunk  raw(32767);
    l_rc     pls_integer;
  begin
    p_inline := null;
    p_handle := 0;
    if dbms_lob.getlength(p_clob) <= c_inline_chars then
      p_inline := utl_i18n.string_to_raw(dbms_lob.substr(p_clob, c_inline_chars, 1), c_utf8);
      return;
    end if;
    dbms_lob.createtemporary(l_blob, true, dbms_lob.call);
    dbms_lob.converttoblob(l_blob, p_clob, dbms_lob.lobmaxsize, l_dest, l_src,
                           nls_charset_id(c_utf8), l_ctx, l_warn);
    p_handle := xs_body_new;
    if p_handle < 0 then
      l_rc := p_handle;
      p_handle := 0;
      raise_status(l_rc);
    end if;
    l_len := dbms_lob.getlength(l_blob);
    while l_pos <= l_len loop
      l_amount := c_chunk_bytes;
      dbms_lob.read(l_blob, l_amount, l_pos, l_chunk);
      l_rc := xs_body_append(p_handle, l_chunk);
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
        l_rc := xs_body_free(p_handle);
        p_handle := 0;
      end if;
      raise;
  end clob_to_agent;

  -- A change set into a temporary CLOB, 32767 bytes at a time (the library
  -- never splits a character). Outside AL32UTF8 the library first writes
  -- what the database cannot hold as JSON \u escapes (the same JSON).
  function read_body(p_result in pls_integer) return clob is
    l_clob    clob;
    l_buf     raw(32767);
    l_text    varchar2(32767);
    l_n       pls_integer;
    l_off     pls_integer := 0;
    l_src     pls_integer := p_result;
    l_escaped pls_integer := 0;
    l_rc      pls_integer;
  begin
    if db_charset <> c_utf8 then
      l_escaped := xs_result_recode(p_result, utf8(db_charset), 1);
      if l_escaped > 0 then
        l_src := l_escaped;
      end if;
    end if;
    dbms_lob.createtemporary(l_clob, true, dbms_lob.call);
    loop
      l_n := xs_result_read(l_src, l_off, l_buf);
      if l_n < 0 then
        raise_status(l_n);
      end if;
      exit when l_n = 0;
      l_text := utl_i18n.raw_to_char(l_buf, c_utf8);
      dbms_lob.writeappend(l_clob, length2(l_text), l_text);   -- CLOB amounts count UCS-2 code units
      l_off := l_off + l_n;
    end loop;
    if l_escaped > 0 then
      l_rc := xs_result_free(l_escaped);
    end if;
    return l_clob;
  exception
    when others then
      if l_escaped > 0 then
        l_rc := xs_result_free(l_escaped);
      end if;
      if dbms_lob.istemporary(l_clob) = 1 then
        dbms_lob.freetemporary(l_clob);
      end if;
      raise;
  end read_body;

  procedure append(p_clob in out nocopy clob, p_text in varchar2) is
  begin
    if p_text is not null then
      dbms_lob.writeappend(p_clob, length2(p_text), p_text);
    end if;
  end append;

  function iso(p_day in timestamp) return varchar2 is
  begin
    return to_char(p_day, 'YYYY-MM-DD"T"HH24:MI:SS') || 'Z';
  end iso;

  ------------------------------------------------------------------ runs

  function new_run(p_mode in varchar2, p_credential in varchar2, p_parallel_level in pls_integer)
    return number
  is
    l_id number;
  begin
    select msgraph_sync_run_seq.nextval into l_id from dual;
    insert into msgraph_sync_run (run_id, run_mode, credential, parallel_level, status)
    values (l_id, p_mode, p_credential, p_parallel_level, 'RUNNING');
    commit;
    return l_id;
  end new_run;

  procedure end_run(p_run_id in number, p_status in varchar2, p_error in varchar2 default null) is
  begin
    update msgraph_sync_run
       set finished = systimestamp, status = p_status, error = substr(p_error, 1, 4000)
     where run_id = p_run_id;
    commit;
  end end_run;

  procedure log_chunk(p_chunk_no in number, p_status in varchar2, p_error in varchar2) is
  begin
    insert into msgraph_sync_log (run_started, run_id, chunk_no, status, error)
    values (coalesce(g_run_started, systimestamp), g_run_id, p_chunk_no, p_status, substr(p_error, 1, 4000));
  end log_chunk;

  --------------------------------------------------------- collections

  -- State rows for the chunk's events and contacts (mailboxes given kinds
  -- that have none yet).
  procedure ensure_states(p_chunk_no in number, p_mailbox in varchar2, p_kinds in varchar2) is
  begin
    insert into msgraph_sync_state (mailbox, kind, collection_id)
    select m.mailbox, k.kind, '-'
      from msgraph_sync_mailbox m
     cross join (select 'events' kind from dual union all select 'contacts' from dual) k
     where m.chunk_no = p_chunk_no and m.enabled = 'Y'
       and (p_mailbox is null or m.mailbox = p_mailbox)
       and instr(',' || replace(lower(coalesce(p_kinds, m.kinds)), ' ') || ',', ',' || k.kind || ',') > 0
       and not exists (select null from msgraph_sync_state s
                        where s.mailbox = m.mailbox and s.kind = k.kind and s.collection_id = '-');
  end ensure_states;

  -- To Do: one collection per list. The lists of the chunk's mailboxes in
  -- one msgraph.batch call (20 a $batch, in the library); a mailbox whose
  -- answer is complete gets a state row per new list and loses the state
  -- and the tasks of lists gone. Returns the mailboxes whose lists could
  -- not be read (logged).
  function refresh_lists(p_chunk_no in number, p_mailbox in varchar2, p_kinds in varchar2,
                         p_credential in varchar2) return pls_integer
  is
    l_reqs   clob;
    l_resp   clob;
    l_n      pls_integer := 0;
    l_failed pls_integer := 0;
  begin
    dbms_lob.createtemporary(l_reqs, true, dbms_lob.call);
    append(l_reqs, '[');
    for m in (select mailbox, mailbox_no from msgraph_sync_mailbox
               where chunk_no = p_chunk_no and enabled = 'Y'
                 and (p_mailbox is null or mailbox = p_mailbox)
                 and instr(',' || replace(lower(coalesce(p_kinds, kinds)), ' ') || ',', ',tasks,') > 0
               order by mailbox_no) loop
      append(l_reqs, case when l_n > 0 then ',' end || '{"id":"' || m.mailbox_no
        || '","method":"GET","url":' || msgraph_m365.json_string('/users/'
        || msgraph_m365.url_segment(m.mailbox) || '/todo/lists?$select=id') || '}');
      l_n := l_n + 1;
    end loop;
    append(l_reqs, ']');
    if l_n = 0 then
      return 0;
    end if;
    l_resp := msgraph.batch(l_reqs, p_credential);

    -- New lists of complete answers.
    insert into msgraph_sync_state (mailbox, kind, collection_id)
    select distinct m.mailbox, 'tasks', j.list_id
      from json_table(l_resp, '$.responses[*]' columns (
             rid      varchar2(40)   path '$.id',
             status   number         path '$.status',
             next     varchar2(4000) path '$.body."@odata.nextLink"',
             nested path '$.body.value[*]' columns (list_id varchar2(256) path '$.id'))) j
      join msgraph_sync_mailbox m on m.mailbox_no = to_number(j.rid)
     where j.status = 200 and j.next is null and j.list_id is not null
       and not exists (select null from msgraph_sync_state s
                        where s.mailbox = m.mailbox and s.kind = 'tasks' and s.collection_id = j.list_id);
    -- Lists gone: their tasks, then their state.
    delete from msgraph_sync_task t
     where exists (select null
                     from json_table(l_resp, '$.responses[*]' columns (
                            rid    varchar2(40)   path '$.id',
                            status number         path '$.status',
                            next   varchar2(4000) path '$.body."@odata.nextLink"')) j
                     join msgraph_sync_mailbox m on m.mailbox_no = to_number(j.rid)
                    where j.status = 200 and j.next is null and m.mailbox = t.mailbox)
       and not exists (select null
                         from json_table(l_resp, '$.responses[*]' columns (
                                rid varchar2(40) path '$.id',
                                nested path '$.body.value[*]' columns (list_id varchar2(256) path '$.id'))) j
                         join msgraph_sync_mailbox m on m.mailbox_no = to_number(j.rid)
                        where m.mailbox = t.mailbox and j.list_id = t.list_id);
    delete from msgraph_sync_state s
     where s.kind = 'tasks'
       and exists (select null
                     from json_table(l_resp, '$.responses[*]' columns (
                            rid    varchar2(40)   path '$.id',
                            status number         path '$.status',
                            next   varchar2(4000) path '$.body."@odata.nextLink"')) j
                     join msgraph_sync_mailbox m on m.mailbox_no = to_number(j.rid)
                    where j.status = 200 and j.next is null and m.mailbox = s.mailbox)
       and not exists (select null
                         from json_table(l_resp, '$.responses[*]' columns (
                                rid varchar2(40) path '$.id',
                                nested path '$.body.value[*]' columns (list_id varchar2(256) path '$.id'))) j
                         join msgraph_sync_mailbox m on m.mailbox_no = to_number(j.rid)
                        where m.mailbox = s.mailbox and j.list_id = s.collection_id);
    -- Answers that are not complete lists: logged; the known lists go on.
    insert into msgraph_sync_log (run_started, run_id, chunk_no, mailbox, kind, collection_id, status, error)
    select coalesce(g_run_started, systimestamp), g_run_id, p_chunk_no, m.mailbox, 'tasks', '-', 'FAILED',
           substr('To Do lists: HTTP ' || j.status || ' ' || j.code || ': ' || j.message
                  || case when j.next is not null then 'more than one page of lists' end, 1, 4000)
      from json_table(l_resp, '$.responses[*]' columns (
             rid     varchar2(40)   path '$.id',
             status  number         path '$.status',
             next    varchar2(4000) path '$.body."@odata.nextLink"',
             code    varchar2(100)  path '$.body.error.code',
             message varchar2(2000) path '$.body.error.message')) j
      join msgraph_sync_mailbox m on m.mailbox_no = to_number(j.rid)
     where j.status <> 200 or j.next is not null;
    l_failed := sql%rowcount;
    commit;
    dbms_lob.freetemporary(l_reqs);
    if dbms_lob.istemporary(l_resp) = 1 then
      dbms_lob.freetemporary(l_resp);
    end if;
    return l_failed;
  end refresh_lists;

  -- The chunk's collections as the engine's collections JSON, and a new
  -- round number for each (a full round when there is no deltaLink).
  function start_round(p_chunk_no in number, p_mailbox in varchar2, p_kinds in varchar2,
                       p_count out pls_integer) return clob
  is
    l_cols clob;
  begin
    p_count := 0;
    update msgraph_sync_state s
       set round_no = round_no + 1, last_started = systimestamp,
           full_round_no = case when delta_link is null then round_no + 1 else full_round_no end,
           cur_pages = 0, cur_upserts = 0, cur_deletes = 0
     where exists (select null from msgraph_sync_mailbox m
                    where m.mailbox = s.mailbox and m.chunk_no = p_chunk_no and m.enabled = 'Y'
                      and (p_mailbox is null or m.mailbox = p_mailbox)
                      and instr(',' || replace(lower(coalesce(p_kinds, m.kinds)), ' ') || ',', ',' || s.kind || ',') > 0);
    commit;
    dbms_lob.createtemporary(l_cols, true, dbms_lob.call);
    append(l_cols, '[');
    for s in (select s.mailbox, s.kind, s.collection_id, s.delta_link
                from msgraph_sync_state s
                join msgraph_sync_mailbox m on m.mailbox = s.mailbox
               where m.chunk_no = p_chunk_no and m.enabled = 'Y'
                 and (p_mailbox is null or m.mailbox = p_mailbox)
                 and instr(',' || replace(lower(coalesce(p_kinds, m.kinds)), ' ') || ',', ',' || s.kind || ',') > 0
               order by s.mailbox, s.kind, s.collection_id) loop
      append(l_cols, case when p_count > 0 then ',' end || '{"mailbox":' || msgraph_m365.json_string(s.mailbox)
        || ',"kind":"' || s.kind || '"'
        || case when s.kind = 'tasks' then ',"list_id":' || msgraph_m365.json_string(s.collection_id) end
        || ',"delta_link":' || msgraph_m365.json_string(s.delta_link) || '}');
      p_count := p_count + 1;
    end loop;
    append(l_cols, ']');
    return l_cols;
  end start_round;

  function engine_options return raw is
    l_today timestamp := trunc(sys_extract_utc(systimestamp));
  begin
    return utf8('{"max_items":' || g_max_items || ',"page_size":' || g_page_size
      || ',"concurrency":' || g_concurrency
      || ',"events_start":"' || iso(l_today - g_days_back)
      || '","events_end":"' || iso(l_today + g_days_ahead) || '"}');
  end engine_options;

  -- One change set, applied: every statement reads the change set with
  -- JSON_TABLE; collections the library failed are left alone.
  -- Transaction 1 (changes), COMMIT, transaction 2 (links, log), COMMIT.
  -- Returns the collections that failed.
  function apply_changes(p_doc in clob, p_chunk_no in number, p_call_no in pls_integer,
                         p_started in timestamp) return pls_integer
  is
    l_failed pls_integer;
  begin
    -- A resync: the collection starts a full round with a new number (what
    -- the old chain wrote in this round is swept at its end too); its old
    -- link is void.
    update msgraph_sync_state s
       set round_no = round_no + 1, full_round_no = round_no + 1, resyncs = resyncs + 1,
           delta_link = null, last_status = 'RESYNC'
     where (s.mailbox, s.kind, s.collection_id) in (
           select j.mailbox, j.kind, coalesce(j.list_id, '-')
             from json_table(p_doc, '$.collections[*]' columns (
                    mailbox varchar2(256) path '$.mailbox',
                    kind    varchar2(16)  path '$.kind',
                    list_id varchar2(256) path '$.list_id',
                    resync  varchar2(5)   path '$.resync')) j
            where j.resync = 'true');

    -- Upserts: the last occurrence of an id in the change set wins.
    merge into msgraph_sync_event t
    using (select mailbox, id, subject, start_time, start_time_zone, end_time, end_time_zone, location,
                  organizer, is_cancelled, last_modified, raw_json, round_no
             from (select j.mailbox, j.id, substr(j.subject, 1, 1000) subject,
                          to_timestamp(substr(j.start_dt, 1, 19) default null on conversion error, 'YYYY-MM-DD"T"HH24:MI:SS') start_time,
                          substr(j.start_tz, 1, 100) start_time_zone,
                          to_timestamp(substr(j.end_dt, 1, 19) default null on conversion error, 'YYYY-MM-DD"T"HH24:MI:SS') end_time,
                          substr(j.end_tz, 1, 100) end_time_zone, substr(j.location, 1, 1000) location,
                          substr(j.organizer, 1, 320) organizer, j.is_cancelled,
                          to_timestamp(substr(j.last_mod, 1, 19) default null on conversion error, 'YYYY-MM-DD"T"HH24:MI:SS') last_modified,
                          j.item raw_json, s.round_no,
                          row_number() over (partition by j.mailbox, j.id order by j.cno desc, j.ino desc) rn
                     from json_table(p_doc, '$.collections[*]' columns (
                            cno     for ordinality,
                            mailbox varchar2(256) path '$.mailbox',
                            kind    varchar2(16)  path '$.kind',
                            state   varchar2(16)  path '$.state',
                            nested path '$.upserts[*]' columns (
                              ino           for ordinality,
                              id            varchar2(512)  path '$.id',
                              subject       varchar2(4000) path '$.subject',
                              start_dt      varchar2(64)   path '$.start.dateTime',
                              start_tz      varchar2(4000) path '$.start.timeZone',
                              end_dt        varchar2(64)   path '$.end.dateTime',
                              end_tz        varchar2(4000) path '$.end.timeZone',
                              location      varchar2(4000) path '$.location.displayName',
                              organizer     varchar2(4000) path '$.organizer.emailAddress.address',
                              is_cancelled  varchar2(5)    path '$.isCancelled',
                              last_mod      varchar2(64)   path '$.lastModifiedDateTime',
                              item          clob format json path '$'))) j
                     join msgraph_sync_state s
                       on s.mailbox = j.mailbox and s.kind = 'events' and s.collection_id = '-'
                    where j.kind = 'events' and j.state <> 'failed' and j.id is not null)
            where rn = 1) u
       on (t.mailbox = u.mailbox and t.id = u.id)
     when matched then update set
          subject = u.subject, start_time = u.start_time, start_time_zone = u.start_time_zone,
          end_time = u.end_time, end_time_zone = u.end_time_zone, location = u.location,
          organizer = u.organizer, is_cancelled = u.is_cancelled, last_modified = u.last_modified,
          raw_json = u.raw_json, round_no = u.round_no, synced_at = systimestamp
     when not matched then insert
          (mailbox, id, subject, start_time, start_time_zone, end_time, end_time_zone, location,
           organizer, is_cancelled, last_modified, raw_json, round_no)
          values (u.mailbox, u.id, u.subject, u.start_time, u.start_time_zone, u.end_time, u.end_time_zone,
                  u.location, u.organizer, u.is_cancelled, u.last_modified, u.raw_json, u.round_no);

    merge into msgraph_sync_contact t
    using (select mailbox, id, display_name, email, company_name, mobile_phone, last_modified, raw_json, round_no
             from (select j.mailbox, j.id, substr(j.display_name, 1, 1000) display_name,
                          substr(j.email, 1, 320) email, substr(j.company_name, 1, 1000) company_name,
                          substr(j.mobile_phone, 1, 100) mobile_phone,
                          to_timestamp(substr(j.last_mod, 1, 19) default null on conversion error, 'YYYY-MM-DD"T"HH24:MI:SS') last_modified, j.item raw_json,
                          s.round_no,
                          row_number() over (partition by j.mailbox, j.id order by j.cno desc, j.ino desc) rn
                     from json_table(p_doc, '$.collections[*]' columns (
                            cno     for ordinality,
                            mailbox varchar2(256) path '$.mailbox',
                            kind    varchar2(16)  path '$.kind',
                            state   varchar2(16)  path '$.state',
                            nested path '$.upserts[*]' columns (
                              ino           for ordinality,
                              id            varchar2(512)  path '$.id',
                              display_name  varchar2(4000) path '$.displayName',
                              email         varchar2(4000) path '$.emailAddresses[0].address',
                              company_name  varchar2(4000) path '$.companyName',
                              mobile_phone  varchar2(4000) path '$.mobilePhone',
                              last_mod      varchar2(64)   path '$.lastModifiedDateTime',
                              item          clob format json path '$'))) j
                     join msgraph_sync_state s
                       on s.mailbox = j.mailbox and s.kind = 'contacts' and s.collection_id = '-'
                    where j.kind = 'contacts' and j.state <> 'failed' and j.id is not null)
            where rn = 1) u
       on (t.mailbox = u.mailbox and t.id = u.id)
     when matched then update set
          display_name = u.display_name, email = u.email, company_name = u.company_name,
          mobile_phone = u.mobile_phone, last_modified = u.last_modified, raw_json = u.raw_json,
          round_no = u.round_no, synced_at = systimestamp
     when not matched then insert
          (mailbox, id, display_name, email, company_name, mobile_phone, last_modified, raw_json, round_no)
          values (u.mailbox, u.id, u.display_name, u.email, u.company_name, u.mobile_phone, u.last_modified,
                  u.raw_json, u.round_no);

    merge into msgraph_sync_task t
    using (select mailbox, list_id, id, title, status, importance, due_time, last_modified, raw_json, round_no
             from (select j.mailbox, j.list_id, j.id, substr(j.title, 1, 1000) title,
                          substr(j.status, 1, 32) status, substr(j.importance, 1, 16) importance,
                          to_timestamp(substr(j.due_dt, 1, 19) default null on conversion error, 'YYYY-MM-DD"T"HH24:MI:SS') due_time,
                          to_timestamp(substr(j.last_mod, 1, 19) default null on conversion error, 'YYYY-MM-DD"T"HH24:MI:SS') last_modified, j.item raw_json, s.round_no,
                          row_number() over (partition by j.mailbox, j.list_id, j.id
                                             order by j.cno desc, j.ino desc) rn
                     from json_table(p_doc, '$.collections[*]' columns (
                            cno     for ordinality,
                            mailbox varchar2(256) path '$.mailbox',
                            kind    varchar2(16)  path '$.kind',
                            list_id varchar2(256) path '$.list_id',
                            state   varchar2(16)  path '$.state',
                            nested path '$.upserts[*]' columns (
                              ino           for ordinality,
                              id            varchar2(512)  path '$.id',
                              title         varchar2(4000) path '$.title',
                              status        varchar2(4000) path '$.status',
                              importance    varchar2(4000) path '$.importance',
                              due_dt        varchar2(64)   path '$.dueDateTime.dateTime',
                              last_mod      varchar2(64)   path '$.lastModifiedDateTime',
                              item          clob format json path '$'))) j
                     join msgraph_sync_state s
                       on s.mailbox = j.mailbox and s.kind = 'tasks' and s.collection_id = j.list_id
                    where j.kind = 'tasks' and j.state <> 'failed' and j.id is not null)
            where rn = 1) u
       on (t.mailbox = u.mailbox and t.list_id = u.list_id and t.id = u.id)
     when matched then update set
          title = u.title, status = u.status, importance = u.importance, due_time = u.due_time,
          last_modified = u.last_modified, raw_json = u.raw_json, round_no = u.round_no,
          synced_at = systimestamp
     when not matched then insert
          (mailbox, list_id, id, title, status, importance, due_time, last_modified, raw_json, round_no)
          values (u.mailbox, u.list_id, u.id, u.title, u.status, u.importance, u.due_time, u.last_modified,
                  u.raw_json, u.round_no);

    -- Removals (after the upserts: an id in both is gone).
    delete from msgraph_sync_event t
     where (t.mailbox, t.id) in (
           select j.mailbox, j.id
             from json_table(p_doc, '$.collections[*]' columns (
                    mailbox varchar2(256) path '$.mailbox',
                    kind    varchar2(16)  path '$.kind',
                    state   varchar2(16)  path '$.state',
                    nested path '$.removals[*]' columns (id varchar2(512) path '$'))) j
            where j.kind = 'events' and j.state <> 'failed');
    delete from msgraph_sync_contact t
     where (t.mailbox, t.id) in (
           select j.mailbox, j.id
             from json_table(p_doc, '$.collections[*]' columns (
                    mailbox varchar2(256) path '$.mailbox',
                    kind    varchar2(16)  path '$.kind',
                    state   varchar2(16)  path '$.state',
                    nested path '$.removals[*]' columns (id varchar2(512) path '$'))) j
            where j.kind = 'contacts' and j.state <> 'failed');
    delete from msgraph_sync_task t
     where (t.mailbox, t.list_id, t.id) in (
           select j.mailbox, j.list_id, j.id
             from json_table(p_doc, '$.collections[*]' columns (
                    mailbox varchar2(256) path '$.mailbox',
                    kind    varchar2(16)  path '$.kind',
                    list_id varchar2(256) path '$.list_id',
                    state   varchar2(16)  path '$.state',
                    nested path '$.removals[*]' columns (id varchar2(512) path '$'))) j
            where j.kind = 'tasks' and j.state <> 'failed');

    -- What each collection applied in this round so far.
    merge into msgraph_sync_state s
    using (select j.mailbox, j.kind, coalesce(j.list_id, '-') collection_id, j.pages, j.n_upserts, j.n_removals
             from json_table(p_doc, '$.collections[*]' columns (
                    mailbox    varchar2(256) path '$.mailbox',
                    kind       varchar2(16)  path '$.kind',
                    list_id    varchar2(256) path '$.list_id',
                    state      varchar2(16)  path '$.state',
                    pages      number        path '$.pages',
                    n_upserts  number        path '$.n_upserts',
                    n_removals number        path '$.n_removals')) j
            where j.state <> 'failed') u
       on (s.mailbox = u.mailbox and s.kind = u.kind and s.collection_id = u.collection_id)
     when matched then update set
          cur_pages = cur_pages + u.pages, cur_upserts = cur_upserts + u.n_upserts,
          cur_deletes = cur_deletes + u.n_removals;

    -- The end of a full round: what it did not write is gone on the server
    -- (a full round reports no removals).
    delete from msgraph_sync_event t
     where exists (select null
                     from json_table(p_doc, '$.collections[*]' columns (
                            mailbox varchar2(256) path '$.mailbox',
                            kind    varchar2(16)  path '$.kind',
                            state   varchar2(16)  path '$.state')) j
                     join msgraph_sync_state s
                       on s.mailbox = j.mailbox and s.kind = 'events' and s.collection_id = '-'
                    where j.kind = 'events' and j.state = 'done' and s.full_round_no = s.round_no
                      and t.mailbox = s.mailbox and t.round_no < s.round_no);
    delete from msgraph_sync_contact t
     where exists (select null
                     from json_table(p_doc, '$.collections[*]' columns (
                            mailbox varchar2(256) path '$.mailbox',
                            kind    varchar2(16)  path '$.kind',
                            state   varchar2(16)  path '$.state')) j
                     join msgraph_sync_state s
                       on s.mailbox = j.mailbox and s.kind = 'contacts' and s.collection_id = '-'
                    where j.kind = 'contacts' and j.state = 'done' and s.full_round_no = s.round_no
                      and t.mailbox = s.mailbox and t.round_no < s.round_no);
    delete from msgraph_sync_task t
     where exists (select null
                     from json_table(p_doc, '$.collections[*]' columns (
                            mailbox varchar2(256) path '$.mailbox',
                            kind    varchar2(16)  path '$.kind',
                            list_id varchar2(256) path '$.list_id',
                            state   varchar2(16)  path '$.state')) j
                     join msgraph_sync_state s
                       on s.mailbox = j.mailbox and s.kind = 'tasks' and s.collection_id = j.list_id
                    where j.kind = 'tasks' and j.state = 'done' and s.full_round_no = s.round_no
                      and t.mailbox = s.mailbox and t.list_id = s.collection_id and t.round_no < s.round_no);
    commit;   -- the changes; the old deltaLinks still stand

    -- Transaction 2: the log rows of the collections that ended, then
    -- their new links (a link longer than the column fails the
    -- collection instead of being cut).
    insert into msgraph_sync_log (run_started, run_id, chunk_no, mailbox, kind, collection_id, full_round,
                                  pages, upserts, deletes, status, error, ora_error, resync)
    select coalesce(g_run_started, systimestamp), g_run_id, p_chunk_no, s.mailbox, s.kind, s.collection_id,
           case when s.full_round_no = s.round_no then 'Y' else 'N' end,
           s.cur_pages, s.cur_upserts, s.cur_deletes,
           case when j.state = 'done' and j.delta_link is not null then 'OK' else 'FAILED' end,
           case when j.state = 'failed' then substr(j.message, 1, 4000)
                when j.delta_link is null then 'the deltaLink is longer than 4000 bytes' end,
           case when j.state = 'failed' then j.ora_error
                when j.delta_link is null then 20010 end,
           case when s.last_status = 'RESYNC' then 'Y' else 'N' end
      from json_table(p_doc, '$.collections[*]' columns (
             mailbox    varchar2(256)  path '$.mailbox',
             kind       varchar2(16)   path '$.kind',
             list_id    varchar2(256)  path '$.list_id',
             state      varchar2(16)   path '$.state',
             delta_link varchar2(4000) path '$.delta_link',
             ora_error  number         path '$.ora_error',
             message    varchar2(4000) path '$.message')) j
      join msgraph_sync_state s
        on s.mailbox = j.mailbox and s.kind = j.kind and s.collection_id = coalesce(j.list_id, '-')
     where j.state in ('done', 'failed');
    merge into msgraph_sync_state s
    using (select j.mailbox, j.kind, coalesce(j.list_id, '-') collection_id, j.state, j.delta_link, j.message
             from json_table(p_doc, '$.collections[*]' columns (
                    mailbox    varchar2(256)  path '$.mailbox',
                    kind       varchar2(16)   path '$.kind',
                    list_id    varchar2(256)  path '$.list_id',
                    state      varchar2(16)   path '$.state',
                    delta_link varchar2(4000) path '$.delta_link',
                    message    varchar2(4000) path '$.message')) j
            where j.state in ('done', 'failed')) u
       on (s.mailbox = u.mailbox and s.kind = u.kind and s.collection_id = u.collection_id)
     when matched then update set
          delta_link    = case when u.state = 'done' and u.delta_link is not null then u.delta_link
                               else s.delta_link end,
          rounds_done   = s.rounds_done + case when u.state = 'done' and u.delta_link is not null then 1 else 0 end,
          last_finished = case when u.state = 'done' then systimestamp else s.last_finished end,
          last_status   = case when u.state = 'done' and u.delta_link is not null then 'OK' else 'FAILED' end,
          last_error    = case when u.state = 'failed' then substr(u.message, 1, 4000)
                               when u.delta_link is null then 'the deltaLink is longer than 4000 bytes' end;
    insert into msgraph_sync_call (run_id, chunk_no, call_no, started, collections, items, requests, batches,
                                   retries, page_rounds, status)
    select g_run_id, p_chunk_no, p_call_no, p_started,
           (select count(*) from json_table(p_doc, '$.collections[*]' columns (x number path '$.index'))),
           j.items, j.requests, j.batches, j.retries, j.page_rounds, 'OK'
      from json_table(p_doc, '$.summary' columns (
             items       number path '$.items',
             requests    number path '$.requests',
             batches     number path '$.batches',
             retries     number path '$.retries',
             page_rounds number path '$.page_rounds')) j;
    select count(*) into l_failed
      from json_table(p_doc, '$.collections[*]' columns (
             state      varchar2(16)   path '$.state',
             delta_link varchar2(4000) path '$.delta_link')) j
     where j.state = 'failed' or (j.state = 'done' and j.delta_link is null);
    commit;   -- the links, only now
    return l_failed;
  end apply_changes;

  -- A call the library could not make at all (no token, unknown
  -- credential, ...): every collection of the chunk not yet ended in this
  -- run is logged FAILED with the library's message; links stay.
  procedure call_failed(p_chunk_no in number, p_mailbox in varchar2, p_kinds in varchar2,
                        p_call_no in pls_integer, p_started in timestamp, p_ora in pls_integer,
                        p_message in varchar2, p_failed in out pls_integer) is
  begin
    insert into msgraph_sync_log (run_started, run_id, chunk_no, mailbox, kind, collection_id, status,
                                  error, ora_error)
    select coalesce(g_run_started, systimestamp), g_run_id, p_chunk_no, s.mailbox, s.kind, s.collection_id,
           'FAILED', substr(p_message, 1, 4000), p_ora
      from msgraph_sync_state s
      join msgraph_sync_mailbox m on m.mailbox = s.mailbox
     where m.chunk_no = p_chunk_no and m.enabled = 'Y'
       and (p_mailbox is null or m.mailbox = p_mailbox)
       and instr(',' || replace(lower(coalesce(p_kinds, m.kinds)), ' ') || ',', ',' || s.kind || ',') > 0
       and not exists (select null from msgraph_sync_log l
                        where l.run_id = g_run_id and l.mailbox = s.mailbox and l.kind = s.kind
                          and l.collection_id = s.collection_id);
    p_failed := p_failed + sql%rowcount;
    update msgraph_sync_state s
       set last_status = 'FAILED', last_error = substr(p_message, 1, 4000)
     where exists (select null from msgraph_sync_log l
                    where l.run_id = g_run_id and l.chunk_no = p_chunk_no and l.mailbox = s.mailbox
                      and l.kind = s.kind and l.collection_id = s.collection_id and l.status = 'FAILED'
                      and l.ora_error = p_ora);
    insert into msgraph_sync_call (run_id, chunk_no, call_no, started, status, error)
    values (g_run_id, p_chunk_no, p_call_no, p_started, 'FAILED', substr(p_message, 1, 4000));
    commit;
  end call_failed;

  -- The round of one chunk (or of one mailbox of it): engine calls until
  -- the round is complete, each change set applied before the next call.
  function chunk_round(p_chunk_no in number, p_mailbox in varchar2, p_kinds in varchar2,
                       p_credential in varchar2) return pls_integer
  is
    l_cols     clob;
    l_count    pls_integer;
    l_doc      clob;
    l_inline   raw(32767);
    l_handle   pls_integer := 0;
    l_result   pls_integer := 0;
    l_previous pls_integer := 0;
    l_status   pls_integer;
    l_length   pls_integer;
    l_ora      pls_integer;
    l_reason   raw(256);
    l_rid      raw(256);
    l_message  raw(2000);
    l_rc       pls_integer;
    l_call     pls_integer := 0;
    l_started  timestamp;
    l_complete varchar2(5);
    l_failed   pls_integer := 0;
    l_loaded   boolean := false;
    l_options  raw(2000);
  begin
    ensure_states(p_chunk_no, p_mailbox, p_kinds);
    commit;
    l_failed := refresh_lists(p_chunk_no, p_mailbox, p_kinds, p_credential);
    l_cols := start_round(p_chunk_no, p_mailbox, p_kinds, l_count);
    if l_count = 0 then
      return l_failed;
    end if;
    l_options := engine_options;   -- one events window for the whole round
    loop
      l_call := l_call + 1;
      l_started := systimestamp;
      clob_to_agent(l_cols, l_inline, l_handle);
      l_result := xs_round(qualified(p_credential), l_inline, l_handle, l_options, l_previous);
      l_handle := 0;   -- consumed by the call
      if l_result < 0 then
        raise_status(l_result);
      end if;
      l_rc := xs_result_info(l_result, l_status, l_length, l_ora, l_reason, l_rid, l_message);
      if l_status = -2 and l_previous = 0 and not l_loaded then
        -- A credential this agent does not know (a new job session): load
        -- MSGRAPH_CREDENTIALS_FILE once, as MSGRAPH does, and try again.
        l_loaded := true;
        l_rc := xs_result_free(l_result);
        l_result := 0;
        begin
          l_rc := msgraph.load_credentials(null);
        exception
          when others then
            null;   -- the retry reports the credential as unknown
        end;
        l_call := l_call - 1;
      elsif l_ora <> 0 then
        call_failed(p_chunk_no, p_mailbox, p_kinds, l_call, l_started, l_ora, text(l_message), l_failed);
        exit;
      else
        if l_previous > 0 then
          l_rc := xs_result_free(l_previous);
          l_previous := 0;
        end if;
        l_doc := read_body(l_result);
        l_failed := l_failed + apply_changes(l_doc, p_chunk_no, l_call, l_started);
        select complete into l_complete
          from json_table(l_doc, '$' columns (complete varchar2(5) path '$.complete'));
        dbms_lob.freetemporary(l_doc);
        exit when l_complete = 'true';
        l_previous := l_result;   -- its cursor goes on in the next call
        l_result := 0;
      end if;
    end loop;
    l_rc := xs_result_free(l_result);
    if l_previous > 0 then
      l_rc := xs_result_free(l_previous);
    end if;
    dbms_lob.freetemporary(l_cols);
    return l_failed;
  exception
    when others then
      if l_handle > 0 then
        l_rc := xs_body_free(l_handle);
      end if;
      if l_result > 0 then
        l_rc := xs_result_free(l_result);
      end if;
      if l_previous > 0 then
        l_rc := xs_result_free(l_previous);
      end if;
      raise;
  end chunk_round;

  -- A chunk under its lock. -1 when another session holds it.
  function locked_chunk(p_chunk_no in number, p_mailbox in varchar2, p_kinds in varchar2,
                        p_credential in varchar2, p_wait_seconds in pls_integer) return pls_integer
  is
    l_handle varchar2(128);
    l_rc     integer;
    l_failed pls_integer;
    l_error  varchar2(4000);
  begin
    dbms_lock.allocate_unique(c_lock_prefix || p_chunk_no, l_handle);   -- commits
    l_rc := dbms_lock.request(l_handle, dbms_lock.x_mode, coalesce(p_wait_seconds, 0), false);
    if l_rc = 1 then
      log_chunk(p_chunk_no, 'SKIPPED', 'another session holds the lock ' || c_lock_prefix || p_chunk_no);
      commit;
      return -1;
    elsif l_rc not in (0, 4) then   -- 4: this session holds it already
      raise_application_error(-20001, 'MSGRAPH_ERR_ARGUMENT: DBMS_LOCK.REQUEST returned ' || l_rc);
    end if;
    dbms_application_info.set_module('MSGRAPH_SYNC', substr('chunk ' || p_chunk_no, 1, 32));
    begin
      l_failed := chunk_round(p_chunk_no, p_mailbox, p_kinds, p_credential);
    exception
      when others then
        -- The change set in hand is rolled back; what was committed stays,
        -- and the links of unfinished collections are the old ones.
        l_error := substr(sqlerrm || ' ' || dbms_utility.format_error_backtrace, 1, 4000);
        rollback;
        log_chunk(p_chunk_no, 'FAILED', l_error);
        commit;
        l_failed := 1;
    end;
    l_rc := dbms_lock.release(l_handle);
    dbms_application_info.set_module(null, null);
    return l_failed;
  end locked_chunk;

  ---------------------------------------------------------------- public

  procedure add_mailbox(p_mailbox in varchar2, p_kinds in varchar2 default c_all_kinds) is
    l_no number;
  begin
    select msgraph_sync_mailbox_seq.nextval into l_no from dual;
    merge into msgraph_sync_mailbox t
    using (select p_mailbox mailbox from dual) s on (t.mailbox = s.mailbox)
     when matched then update set kinds = p_kinds, enabled = 'Y'
     when not matched then insert (mailbox, kinds, mailbox_no, chunk_no)
          values (s.mailbox, p_kinds, l_no, ceil(l_no / greatest(coalesce(g_mailboxes_per_chunk, 50), 1)));
    commit;
  end add_mailbox;

  procedure remove_mailbox(p_mailbox in varchar2) is
  begin
    delete from msgraph_sync_event where mailbox = p_mailbox;
    delete from msgraph_sync_contact where mailbox = p_mailbox;
    delete from msgraph_sync_task where mailbox = p_mailbox;
    delete from msgraph_sync_state where mailbox = p_mailbox;
    delete from msgraph_sync_mailbox where mailbox = p_mailbox;
    commit;
  end remove_mailbox;

  procedure reset(p_mailbox in varchar2, p_kind in varchar2 default null) is
  begin
    update msgraph_sync_state set delta_link = null
     where mailbox = p_mailbox and (p_kind is null or kind = p_kind);
    commit;
  end reset;

  procedure rechunk(p_mailboxes_per_chunk in pls_integer default 50) is
    l_size pls_integer := greatest(coalesce(p_mailboxes_per_chunk, 50), 1);
  begin
    merge into msgraph_sync_mailbox t
    using (select mailbox, ceil(row_number() over (order by mailbox_no, mailbox) / l_size) chunk_no
             from msgraph_sync_mailbox) s
       on (t.mailbox = s.mailbox)
     when matched then update set chunk_no = s.chunk_no;
    g_mailboxes_per_chunk := l_size;
    commit;
  end rechunk;

  function sync_chunk(p_chunk_no in number, p_credential in varchar2 default null,
                      p_wait_seconds in pls_integer default 0) return pls_integer
  is
    l_own    boolean := g_run_id is null;
    l_failed pls_integer;
  begin
    if l_own then
      g_run_id := new_run('CHUNK', p_credential, 1);
      g_run_started := systimestamp;
    end if;
    l_failed := locked_chunk(p_chunk_no, null, null, p_credential, p_wait_seconds);
    if l_own then
      end_run(g_run_id, 'DONE');
      g_run_id := null;
      g_run_started := null;
    end if;
    return l_failed;
  end sync_chunk;

  function sync_mailbox(p_mailbox in varchar2, p_kinds in varchar2 default c_all_kinds,
                        p_credential in varchar2 default null) return pls_integer
  is
    l_chunk  number;
    l_failed pls_integer;
  begin
    begin
      select chunk_no into l_chunk from msgraph_sync_mailbox where mailbox = p_mailbox;
    exception
      when no_data_found then
        add_mailbox(p_mailbox, coalesce(p_kinds, c_all_kinds));
        select chunk_no into l_chunk from msgraph_sync_mailbox where mailbox = p_mailbox;
    end;
    g_run_id := new_run('MAILBOX', p_credential, 1);
    g_run_started := systimestamp;
    -- Waits for the chunk: a mailbox synced by hand is never skipped.
    l_failed := locked_chunk(l_chunk, p_mailbox, coalesce(p_kinds, c_all_kinds), p_credential, dbms_lock.maxwait);
    end_run(g_run_id, 'DONE');
    g_run_id := null;
    g_run_started := null;
    return l_failed;
  end sync_mailbox;

  function run(p_credential in varchar2 default null, p_wait_seconds in pls_integer default 0)
    return pls_integer
  is
    l_failed  pls_integer := 0;
    l_n       pls_integer;
    l_chunks  pls_integer := 0;
    l_skipped pls_integer := 0;
  begin
    g_run_id := new_run('SERIAL', p_credential, 1);
    g_run_started := systimestamp;
    for c in (select distinct chunk_no from msgraph_sync_mailbox
               where enabled = 'Y' and chunk_no is not null order by chunk_no) loop
      l_chunks := l_chunks + 1;
      l_n := locked_chunk(c.chunk_no, null, null, p_credential, p_wait_seconds);
      if l_n < 0 then
        l_skipped := l_skipped + 1;
      else
        l_failed := l_failed + l_n;
      end if;
    end loop;
    end_run(g_run_id, 'DONE');
    g_run_id := null;
    g_run_started := null;
    if l_chunks > 0 and l_skipped = l_chunks then
      return -1;
    end if;
    return l_failed;
  exception
    when others then
      end_run(g_run_id, 'FAILED', sqlerrm);
      g_run_id := null;
      g_run_started := null;
      raise;
  end run;

  procedure run(p_credential in varchar2 default null, p_wait_seconds in pls_integer default 0) is
    l_failed pls_integer;
  begin
    l_failed := run(p_credential, p_wait_seconds);
  end run;

  procedure run_chunks(p_run_id in number, p_start_id in number, p_end_id in number) is
    l_credential varchar2(256);
    l_started    timestamp;
    l_n          pls_integer;
  begin
    select credential, started into l_credential, l_started from msgraph_sync_run where run_id = p_run_id;
    g_run_id := p_run_id;
    g_run_started := l_started;
    for c in (select distinct chunk_no from msgraph_sync_mailbox
               where enabled = 'Y' and chunk_no between p_start_id and p_end_id order by chunk_no) loop
      l_n := locked_chunk(c.chunk_no, null, null, l_credential, 0);
    end loop;
    g_run_id := null;
    g_run_started := null;
  end run_chunks;

  function run_parallel(p_credential in varchar2 default null, p_parallel_level in pls_integer default 4)
    return number
  is
    l_run  number;
    l_task varchar2(128);
    l_status number;
  begin
    l_run := new_run('PARALLEL', p_credential, p_parallel_level);
    l_task := 'MSGRAPH_SYNC_' || l_run;
    dbms_parallel_execute.create_task(l_task);
    dbms_parallel_execute.create_chunks_by_sql(l_task,
      'select distinct chunk_no, chunk_no from msgraph_sync_mailbox where enabled = ''Y'' and chunk_no is not null',
      false);
    -- The run id is a number of ours, never text from the caller.
    dbms_parallel_execute.run_task(l_task,
      'begin msgraph_sync.run_chunks(' || to_char(l_run) || ', :start_id, :end_id); end;',
      dbms_sql.native, parallel_level => greatest(coalesce(p_parallel_level, 4), 1));
    l_status := dbms_parallel_execute.task_status(l_task);
    dbms_parallel_execute.drop_task(l_task);
    end_run(l_run, case when l_status = dbms_parallel_execute.finished then 'DONE' else 'FAILED' end,
            case when l_status <> dbms_parallel_execute.finished
                 then 'DBMS_PARALLEL_EXECUTE task status ' || l_status end);
    return l_run;
  exception
    when others then
      end_run(l_run, 'FAILED', sqlerrm);
      begin
        dbms_parallel_execute.drop_task(l_task);
      exception
        when others then
          null;   -- not created, or already dropped
      end;
      raise;
  end run_parallel;

  procedure run_parallel(p_credential in varchar2 default null, p_parallel_level in pls_integer default 4) is
    l_run number;
  begin
    l_run := run_parallel(p_credential, p_parallel_level);
  end run_parallel;
end msgraph_sync;
/
