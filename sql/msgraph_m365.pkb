create or replace package body msgraph_m365 as
  /*
   * Minimum release: 12.2 (JSON_OBJECT_T, JSON_TABLE); install.sql skips
   * it below that (sql/README.md: release matrix).
   * Pure PL/SQL over MSGRAPH. tests/extproc/m365.c ports every routine
   * below to C (same calls, same JSON) and runs it against the Graph
   * emulator through the agent emulation (tests/oracle_agent.rs).
   */

  c_b64_step  constant pls_integer := 23808;  -- bytes per UTL_ENCODE call: 3 * 7936 (496 lines of 48)
  /*
   * Sizes (bytes, BYTE semantics): a VARCHAR2 holding Graph text is sized
   * for 4 bytes per character (AL32UTF8); a name Graph allows 256
   * characters of is VARCHAR2(1024). Text that may be long (mail and event
   * bodies, automatic replies) is built in a CLOB and escaped by
   * msgraph.json_string, which never cuts a character.
   */

  ------------------------------------------------------------ JSON text

  function json_escape(p_text in varchar2) return varchar2 is
    l_out varchar2(32767);
  begin
    if p_text is null then
      return null;
    end if;
    l_out := replace(replace(p_text, '\', '\\'), '"', '\"');
    l_out := replace(replace(replace(l_out, chr(10), '\n'), chr(13), '\r'), chr(9), '\t');
    for i in 0 .. 31 loop
      if i not in (9, 10, 13) and instr(l_out, chr(i)) > 0 then
        l_out := replace(l_out, chr(i), '\u00' || to_char(i, 'FM0X'));
      end if;
    end loop;
    return l_out;
  end json_escape;

  function json_string(p_text in varchar2) return varchar2 is
  begin
    if p_text is null then
      return 'null';
    end if;
    return '"' || json_escape(p_text) || '"';
  end json_string;

  procedure append(p_clob in out nocopy clob, p_text in varchar2) is
  begin
    if p_text is not null then
      dbms_lob.writeappend(p_clob, length2(p_text), p_text);   -- CLOB amounts count UCS-2 code units
    end if;
  end append;

  -- A CLOB of any length as a JSON string literal. Escaped by the library
  -- (msgraph.json_string): steps of DBMS_LOB.SUBSTR, which counts UCS-2 code
  -- units, could cut a character outside the BMP in two at a step edge.
  procedure append_json_clob(p_clob in out nocopy clob, p_text in clob) is
    l_json clob;
  begin
    l_json := msgraph.json_string(p_text);
    dbms_lob.append(p_clob, l_json);
    dbms_lob.freetemporary(l_json);
  end append_json_clob;

  function new_clob return clob is
    l_clob clob;
  begin
    dbms_lob.createtemporary(l_clob, true, dbms_lob.call);
    return l_clob;
  end new_clob;

  ------------------------------------------------------------- helpers

  function url_segment(p_text in varchar2) return varchar2 is
  begin
    if p_text is null then
      raise_application_error(-20001, 'MSGRAPH_ERR_ARGUMENT: a user, id or name is NULL');
    end if;
    return utl_url.escape(p_text, true, 'AL32UTF8');
  end url_segment;

  function graph_datetime(p_time in timestamp) return varchar2 is
  begin
    return to_char(p_time, 'YYYY-MM-DD"T"HH24:MI:SS');
  end graph_datetime;

  function to_utc(p_text in varchar2) return timestamp is
  begin
    if p_text is null then
      return null;
    end if;
    return to_timestamp(substr(p_text, 1, 19), 'YYYY-MM-DD"T"HH24:MI:SS');
  end to_utc;

  function user_path(p_user in varchar2) return varchar2 is
  begin
    return '/users/' || url_segment(p_user);
  end user_path;

  function date_time_zone(p_time in timestamp, p_time_zone in varchar2) return varchar2 is
  begin
    return '{"dateTime":' || json_string(graph_datetime(p_time))
        || ',"timeZone":' || json_string(coalesce(p_time_zone, 'UTC')) || '}';
  end date_time_zone;

  function id_of(p_response in clob) return varchar2 is
  begin
    return json_object_t.parse(p_response).get_string('id');
  end id_of;

  -- 'a@x, Name <b@y>; c@z' as a JSON array of recipients (NULL: []).
  function recipients_json(p_list in varchar2) return varchar2 is
    l_out   varchar2(32767);
    l_rest  varchar2(32767) := translate(p_list, ';', ',');
    l_item  varchar2(32767);   -- a part of p_list, which may be 32767 bytes
    l_comma pls_integer;
    l_lt    pls_integer;
    l_name  varchar2(32767);
    l_addr  varchar2(32767);
  begin
    while l_rest is not null loop
      l_comma := instr(l_rest, ',');
      if l_comma = 0 then
        l_item := trim(l_rest);
        l_rest := null;
      else
        l_item := trim(substr(l_rest, 1, l_comma - 1));
        l_rest := substr(l_rest, l_comma + 1);
      end if;
      if l_item is not null then
        l_lt := instr(l_item, '<');
        if l_lt > 0 and substr(l_item, -1) = '>' then
          l_name := trim(both '"' from trim(substr(l_item, 1, l_lt - 1)));
          l_addr := trim(substr(l_item, l_lt + 1, length(l_item) - l_lt - 1));
        else
          l_name := null;
          l_addr := l_item;
        end if;
        if l_out is not null then
          l_out := l_out || ',';
        end if;
        l_out := l_out || '{"emailAddress":{"address":' || json_string(l_addr);
        if l_name is not null then
          l_out := l_out || ',"name":' || json_string(l_name);
        end if;
        l_out := l_out || '}}';
      end if;
    end loop;
    return '[' || l_out || ']';
  end recipients_json;

  function body_type(p_type in varchar2) return varchar2 is
  begin
    if upper(p_type) = 'HTML' or p_type is null then
      return 'HTML';
    elsif upper(p_type) = 'TEXT' then
      return 'Text';
    end if;
    raise_application_error(-20001, 'MSGRAPH_ERR_ARGUMENT: body type must be HTML or Text');
  end body_type;

  function bool_json(p_value in boolean) return varchar2 is
  begin
    return case when p_value or p_value is null then 'true' else 'false' end;
  end bool_json;

  ---------------------------------------------------------------- mail

  function base64(p_blob in blob) return clob is
    l_out    clob;
    l_len    integer;
    l_pos    integer := 1;
    l_amount integer;
    l_raw    raw(32767);
    l_text   varchar2(32767);
  begin
    if p_blob is null then
      return null;
    end if;
    l_out := new_clob;
    l_len := dbms_lob.getlength(p_blob);
    while l_pos <= l_len loop
      l_amount := c_b64_step;
      dbms_lob.read(p_blob, l_amount, l_pos, l_raw);
      l_text := utl_raw.cast_to_varchar2(utl_encode.base64_encode(l_raw));
      append(l_out, replace(replace(l_text, chr(13)), chr(10)));
      l_pos := l_pos + l_amount;
    end loop;
    return l_out;
  end base64;

  function mail_json(
    p_to in varchar2, p_subject in varchar2, p_body in clob,
    p_body_type in varchar2 default 'HTML', p_cc in varchar2 default null,
    p_bcc in varchar2 default null, p_attachments in t_attachments default null,
    p_save_to_sent_items in boolean default true) return clob
  is
    l_json clob := new_clob;
    l_b64  clob;
  begin
    if p_to is null and p_cc is null and p_bcc is null then
      raise_application_error(-20001, 'MSGRAPH_ERR_ARGUMENT: no recipient (p_to, p_cc, p_bcc are NULL)');
    end if;
    append(l_json, '{"message":{"subject":' || json_string(p_subject)
      || ',"body":{"contentType":"' || body_type(p_body_type) || '","content":');
    append_json_clob(l_json, coalesce(p_body, to_clob('')));
    append(l_json, '},"toRecipients":' || recipients_json(p_to));
    if p_cc is not null then
      append(l_json, ',"ccRecipients":' || recipients_json(p_cc));
    end if;
    if p_bcc is not null then
      append(l_json, ',"bccRecipients":' || recipients_json(p_bcc));
    end if;
    if p_attachments is not null and p_attachments.count > 0 then
      append(l_json, ',"attachments":[');
      for i in 1 .. p_attachments.count loop
        if i > 1 then
          append(l_json, ',');
        end if;
        append(l_json, '{"@odata.type":"#microsoft.graph.fileAttachment","name":'
          || json_string(p_attachments(i).name) || ',"contentType":'
          || json_string(coalesce(p_attachments(i).content_type, 'application/octet-stream'))
          || ',"contentBytes":"');
        l_b64 := base64(p_attachments(i).content);
        if l_b64 is not null then
          dbms_lob.append(l_json, l_b64);
          dbms_lob.freetemporary(l_b64);
        end if;
        append(l_json, '"}');
      end loop;
      append(l_json, ']');
    end if;
    append(l_json, '},"saveToSentItems":' || bool_json(p_save_to_sent_items) || '}');
    return l_json;
  end mail_json;

  procedure send_mail(
    p_from in varchar2, p_to in varchar2, p_subject in varchar2, p_body in clob,
    p_body_type in varchar2 default 'HTML', p_cc in varchar2 default null,
    p_bcc in varchar2 default null, p_attachments in t_attachments default null,
    p_save_to_sent_items in boolean default true, p_credential in varchar2 default null)
  is
    l_json clob;
    l_resp clob;
  begin
    l_json := mail_json(p_to, p_subject, p_body, p_body_type, p_cc, p_bcc, p_attachments,
                        p_save_to_sent_items);
    l_resp := msgraph.post(user_path(p_from) || '/sendMail', l_json, p_credential);
    dbms_lob.freetemporary(l_json);
  end send_mail;

  ----------------------------------------------------- application secrets

  function expiring_secrets(p_days in number default 30, p_credential in varchar2 default null)
    return msgraph_secret_tab pipelined
  is
    l_doc  clob;
    l_now  timestamp := sys_extract_utc(systimestamp);
    l_days number;
  begin
    l_doc := msgraph.get_all('/applications?$select=id,appId,displayName,passwordCredentials,keyCredentials',
                             100000, p_credential);
    for r in (
      select *
        from (select jt.object_id, jt.app_id, jt.app_name, 'Password' credential_type,
                     jt.key_id, jt.cred_name, jt.hint, jt.start_dt, jt.end_dt
                from json_table(l_doc, '$.value[*]'
                       columns (object_id varchar2(64)  path '$.id',
                                app_id    varchar2(64)  path '$.appId',
                                app_name  varchar2(1024) path '$.displayName',
                                nested path '$.passwordCredentials[*]'
                                  columns (key_id    varchar2(64)  path '$.keyId',
                                           cred_name varchar2(1024) path '$.displayName',
                                           hint      varchar2(16)  path '$.hint',
                                           start_dt  varchar2(40)  path '$.startDateTime',
                                           end_dt    varchar2(40)  path '$.endDateTime'))) jt
               where jt.key_id is not null
              union all
              select jt.object_id, jt.app_id, jt.app_name, 'Certificate',
                     jt.key_id, jt.cred_name, null, jt.start_dt, jt.end_dt
                from json_table(l_doc, '$.value[*]'
                       columns (object_id varchar2(64)  path '$.id',
                                app_id    varchar2(64)  path '$.appId',
                                app_name  varchar2(1024) path '$.displayName',
                                nested path '$.keyCredentials[*]'
                                  columns (key_id    varchar2(64)  path '$.keyId',
                                           cred_name varchar2(1024) path '$.displayName',
                                           start_dt  varchar2(40)  path '$.startDateTime',
                                           end_dt    varchar2(40)  path '$.endDateTime'))) jt
               where jt.key_id is not null)
       order by end_dt, app_name, key_id)
    loop
      l_days := extract(day from (to_utc(r.end_dt) - l_now));
      if to_utc(r.end_dt) <= l_now + numtodsinterval(p_days, 'DAY') then
        pipe row (msgraph_secret_row(r.object_id, r.app_id, r.app_name, r.credential_type, r.key_id,
                                     r.cred_name, r.hint, to_utc(r.start_dt), to_utc(r.end_dt), l_days,
                                     case when to_utc(r.end_dt) <= l_now then 'Expired' else 'Expiring' end));
      end if;
    end loop;
    dbms_lob.freetemporary(l_doc);
    return;
  end expiring_secrets;

  function mail_expiring_secrets(
    p_from in varchar2, p_to in varchar2, p_days in number default 10,
    p_credential in varchar2 default null) return pls_integer
  is
    l_html clob := new_clob;
    l_n    pls_integer := 0;
  begin
    append(l_html, '<p>Application credentials ending within ' || p_days || ' days:</p>'
      || '<table border="1" cellpadding="4"><tr><th>Application</th><th>App id</th><th>Type</th>'
      || '<th>Name</th><th>Ends (UTC)</th><th>Days left</th><th>Status</th></tr>');
    for r in (select * from table(expiring_secrets(p_days, p_credential))) loop
      l_n := l_n + 1;
      append(l_html, '<tr><td>' || htf.escape_sc(r.app_name) || '</td><td>' || r.app_id
        || '</td><td>' || r.credential_type || '</td><td>' || htf.escape_sc(r.credential_name)
        || '</td><td>' || to_char(r.end_date_time, 'YYYY-MM-DD HH24:MI') || '</td><td>' || r.days_left
        || '</td><td>' || r.status || '</td></tr>');
    end loop;
    append(l_html, '</table>');
    if l_n > 0 then
      send_mail(p_from, p_to, l_n || ' application credential(s) expire within ' || p_days || ' days',
                l_html, 'HTML', p_credential => p_credential);
    end if;
    dbms_lob.freetemporary(l_html);
    return l_n;
  end mail_expiring_secrets;

  ---------------------------------------------------------------- access

  function probe(p_check in varchar2, p_url in varchar2, p_permission in varchar2,
                 p_credential in varchar2) return msgraph_access_row
  is
    l_resp    clob;
    l_status  pls_integer;
    l_code    varchar2(100);    -- 25 characters: at most 100 bytes
    l_message varchar2(4000);   -- 800 characters: at most 3200 bytes, so the reason fits 4000
    l_err     json_object_t;
  begin
    begin
      l_resp := msgraph.make_rest_request(p_url, 'GET', null, p_credential);
    exception
      when others then   -- no HTTP answer: authentication, network ...
        return msgraph_access_row(p_check, p_url, msgraph.g_status_code, 'Error',
                                  substr(sqlerrm, 1, 4000), null, msgraph.g_request_id);
    end;
    l_status := msgraph.g_status_code;
    if l_status >= 400 and l_resp is not null then
      begin
        l_err := json_object_t.parse(l_resp).get_object('error');
        l_code := substr(l_err.get_string('code'), 1, 25);
        l_message := substr(l_err.get_string('message'), 1, 800);
      exception
        when others then
          null;   -- not a Graph error body
      end;
    end if;
    if l_status between 200 and 299 then
      return msgraph_access_row(p_check, p_url, l_status, 'Granted', 'HTTP ' || l_status, null,
                                msgraph.g_request_id);
    elsif l_status = 403 and instr(l_message, 'Access to OData is disabled') > 0 then
      return msgraph_access_row(p_check, p_url, l_status, 'Denied',
        'an application access policy excludes this mailbox (' || l_code || ': ' || l_message || ')',
        l_code, msgraph.g_request_id);
    elsif l_status = 403 then
      return msgraph_access_row(p_check, p_url, l_status, 'Denied',
        'the application lacks the permission ' || p_permission || ' (' || l_code || ': ' || l_message || ')',
        l_code, msgraph.g_request_id);
    elsif l_status = 404 then
      return msgraph_access_row(p_check, p_url, l_status, 'Error',
        'no such user or mailbox (' || l_code || ': ' || l_message || ')', l_code, msgraph.g_request_id);
    end if;
    return msgraph_access_row(p_check, p_url, l_status, 'Error',
      'HTTP ' || l_status || ' (' || l_code || ': ' || l_message || ')', l_code, msgraph.g_request_id);
  end probe;

  function test_access(p_user in varchar2, p_credential in varchar2 default null)
    return msgraph_access_tab pipelined is
  begin
    pipe row (probe('mailboxSettings', user_path(p_user) || '/mailboxSettings',
                    'MailboxSettings.Read', p_credential));
    pipe row (probe('calendar', user_path(p_user) || '/calendar', 'Calendars.Read', p_credential));
    return;
  end test_access;

  function access_check_result(p_user in varchar2, p_credential in varchar2 default null)
    return varchar2
  is
    l_granted pls_integer := 0;
    l_denied  pls_integer := 0;
    l_all     pls_integer := 0;
  begin
    for r in (select verdict from table(test_access(p_user, p_credential))) loop
      l_all := l_all + 1;
      if r.verdict = 'Granted' then
        l_granted := l_granted + 1;
      elsif r.verdict = 'Denied' then
        l_denied := l_denied + 1;
      end if;
    end loop;
    return case when l_granted = l_all then 'Granted' when l_denied > 0 then 'Denied' else 'Error' end;
  end access_check_result;

  -------------------------------------------------------------- calendar

  function create_event(
    p_user in varchar2, p_subject in varchar2, p_start in timestamp, p_end in timestamp,
    p_time_zone in varchar2 default 'UTC', p_body in clob default null,
    p_body_type in varchar2 default 'HTML', p_location in varchar2 default null,
    p_attendees in varchar2 default null, p_credential in varchar2 default null) return varchar2
  is
    l_json clob := new_clob;
    l_resp clob;
  begin
    if p_start is null or p_end is null or p_end < p_start then
      raise_application_error(-20001, 'MSGRAPH_ERR_ARGUMENT: an event needs p_start <= p_end');
    end if;
    append(l_json, '{"subject":' || json_string(p_subject)
      || ',"start":' || date_time_zone(p_start, p_time_zone)
      || ',"end":' || date_time_zone(p_end, p_time_zone));
    if p_body is not null then
      append(l_json, ',"body":{"contentType":"' || body_type(p_body_type) || '","content":');
      append_json_clob(l_json, p_body);
      append(l_json, '}');
    end if;
    if p_location is not null then
      append(l_json, ',"location":{"displayName":' || json_string(p_location) || '}');
    end if;
    if p_attendees is not null then
      append(l_json, ',"attendees":' || replace(recipients_json(p_attendees), '}}', '},"type":"required"}'));
    end if;
    append(l_json, '}');
    l_resp := msgraph.post(user_path(p_user) || '/events', l_json, p_credential);
    dbms_lob.freetemporary(l_json);
    return id_of(l_resp);
  end create_event;

  function calendar_view(
    p_user in varchar2, p_start in timestamp, p_end in timestamp,
    p_time_zone in varchar2 default 'UTC', p_credential in varchar2 default null) return clob is
  begin
    return msgraph.get_all(user_path(p_user) || '/calendarView?startDateTime='
      || graph_datetime(p_start) || '&endDateTime=' || graph_datetime(p_end) || '&$top=50',
      100000, p_credential,
      '{"headers":{"Prefer":' || json_string('outlook.timezone="' || coalesce(p_time_zone, 'UTC') || '"') || '}}');
  end calendar_view;

  procedure delete_event(p_user in varchar2, p_event_id in varchar2, p_credential in varchar2 default null) is
  begin
    msgraph.delete_(user_path(p_user) || '/events/' || url_segment(p_event_id), p_credential);
  end delete_event;

  -------------------------------------------------------------- contacts

  function create_contact(
    p_user in varchar2, p_given_name in varchar2, p_surname in varchar2,
    p_email in varchar2 default null, p_company in varchar2 default null,
    p_mobile_phone in varchar2 default null, p_credential in varchar2 default null) return varchar2
  is
    l_json varchar2(32767);
  begin
    l_json := '{"givenName":' || json_string(p_given_name) || ',"surname":' || json_string(p_surname)
      || ',"displayName":' || json_string(trim(p_given_name || ' ' || p_surname));
    if p_email is not null then
      l_json := l_json || ',"emailAddresses":[{"address":' || json_string(p_email)
        || ',"name":' || json_string(trim(p_given_name || ' ' || p_surname)) || '}]';
    end if;
    if p_company is not null then
      l_json := l_json || ',"companyName":' || json_string(p_company);
    end if;
    if p_mobile_phone is not null then
      l_json := l_json || ',"mobilePhone":' || json_string(p_mobile_phone);
    end if;
    l_json := l_json || '}';
    return id_of(msgraph.post(user_path(p_user) || '/contacts', l_json, p_credential));
  end create_contact;

  function contacts(p_user in varchar2, p_credential in varchar2 default null) return clob is
  begin
    return msgraph.get_all(user_path(p_user) || '/contacts?$top=100', 100000, p_credential);
  end contacts;

  ------------------------------------------------------------------ To Do

  function todo_lists(p_user in varchar2, p_credential in varchar2 default null) return clob is
  begin
    return msgraph.get_all(user_path(p_user) || '/todo/lists', 100000, p_credential);
  end todo_lists;

  function todo_list_id(p_user in varchar2, p_display_name in varchar2 default null,
                        p_credential in varchar2 default null) return varchar2
  is
    l_lists json_array_t;
    l_list  json_object_t;
  begin
    l_lists := json_object_t.parse(todo_lists(p_user, p_credential)).get_array('value');
    for i in 0 .. l_lists.get_size - 1 loop
      l_list := treat(l_lists.get(i) as json_object_t);
      if (p_display_name is null and l_list.get_string('wellknownListName') = 'defaultList')
         or l_list.get_string('displayName') = p_display_name then
        return l_list.get_string('id');
      end if;
    end loop;
    raise_application_error(-20015, 'MSGRAPH_ERR_NOT_FOUND: no To Do list '
      || coalesce(p_display_name, '(default)') || ' for ' || p_user);
  end todo_list_id;

  function create_task(
    p_user in varchar2, p_list_id in varchar2, p_title in varchar2,
    p_due in timestamp default null, p_time_zone in varchar2 default 'UTC',
    p_body in clob default null, p_importance in varchar2 default 'normal',
    p_credential in varchar2 default null) return varchar2
  is
    l_json clob := new_clob;
    l_resp clob;
  begin
    if lower(p_importance) not in ('low', 'normal', 'high') then
      raise_application_error(-20001, 'MSGRAPH_ERR_ARGUMENT: importance must be low, normal or high');
    end if;
    append(l_json, '{"title":' || json_string(p_title) || ',"importance":' || json_string(lower(p_importance)));
    if p_due is not null then
      append(l_json, ',"dueDateTime":' || date_time_zone(p_due, p_time_zone));
    end if;
    if p_body is not null then
      append(l_json, ',"body":{"contentType":"text","content":');
      append_json_clob(l_json, p_body);
      append(l_json, '}');
    end if;
    append(l_json, '}');
    l_resp := msgraph.post(user_path(p_user) || '/todo/lists/' || url_segment(p_list_id) || '/tasks',
                           l_json, p_credential);
    dbms_lob.freetemporary(l_json);
    return id_of(l_resp);
  end create_task;

  procedure complete_task(p_user in varchar2, p_list_id in varchar2, p_task_id in varchar2,
                          p_credential in varchar2 default null)
  is
    l_resp clob;
  begin
    l_resp := msgraph.patch(user_path(p_user) || '/todo/lists/' || url_segment(p_list_id) || '/tasks/'
                            || url_segment(p_task_id), '{"status":"completed"}', p_credential);
  end complete_task;

  function tasks(p_user in varchar2, p_list_id in varchar2, p_credential in varchar2 default null)
    return clob is
  begin
    return msgraph.get_all(user_path(p_user) || '/todo/lists/' || url_segment(p_list_id) || '/tasks',
                           100000, p_credential);
  end tasks;

  ------------------------------------------------------- mailbox settings

  function mailbox_settings(p_user in varchar2, p_credential in varchar2 default null) return clob is
  begin
    return msgraph.get(user_path(p_user) || '/mailboxSettings', p_credential);
  end mailbox_settings;

  procedure set_automatic_replies(
    p_user in varchar2, p_status in varchar2, p_internal_reply in varchar2 default null,
    p_external_reply in varchar2 default null, p_start in timestamp default null,
    p_end in timestamp default null, p_time_zone in varchar2 default 'UTC',
    p_external_audience in varchar2 default null, p_credential in varchar2 default null)
  is
    l_json clob := new_clob;   -- two replies of up to 32767 bytes each, escaped
    l_resp clob;
  begin
    if p_status is null or p_status not in ('disabled', 'alwaysEnabled', 'scheduled') then
      raise_application_error(-20001, 'MSGRAPH_ERR_ARGUMENT: status must be disabled, alwaysEnabled or scheduled');
    end if;
    if p_status = 'scheduled' and (p_start is null or p_end is null or p_end <= p_start) then
      raise_application_error(-20001, 'MSGRAPH_ERR_ARGUMENT: scheduled automatic replies need p_start < p_end');
    end if;
    if p_external_audience is not null and p_external_audience not in ('none', 'contactsOnly', 'all') then
      raise_application_error(-20001, 'MSGRAPH_ERR_ARGUMENT: external audience must be none, contactsOnly or all');
    end if;
    append(l_json, '{"automaticRepliesSetting":{"status":' || json_string(p_status));
    if p_internal_reply is not null then
      append(l_json, ',"internalReplyMessage":');
      append_json_clob(l_json, to_clob(p_internal_reply));
    end if;
    if p_external_reply is not null then
      append(l_json, ',"externalReplyMessage":');
      append_json_clob(l_json, to_clob(p_external_reply));
    end if;
    if p_external_audience is not null then
      append(l_json, ',"externalAudience":' || json_string(p_external_audience));
    end if;
    if p_status = 'scheduled' then
      append(l_json, ',"scheduledStartDateTime":' || date_time_zone(p_start, p_time_zone)
        || ',"scheduledEndDateTime":' || date_time_zone(p_end, p_time_zone));
    end if;
    append(l_json, '}}');
    l_resp := msgraph.patch(user_path(p_user) || '/mailboxSettings', l_json, p_credential);
    dbms_lob.freetemporary(l_json);
  end set_automatic_replies;

  ------------------------------------------------------------- SharePoint

  function list_items(
    p_site_id in varchar2, p_list in varchar2, p_filter in varchar2 default null,
    p_max_items in pls_integer default 100000, p_credential in varchar2 default null) return clob
  is
    l_url     varchar2(32767);   -- an escaped filter: up to 12 bytes per character
    l_options varchar2(200);
  begin
    l_url := '/sites/' || url_segment(p_site_id) || '/lists/' || url_segment(p_list)
      || '/items?$expand=fields';
    if p_filter is not null then
      l_url := l_url || '&$filter=' || utl_url.escape(p_filter, true, 'AL32UTF8');
      -- filtering on fields that are not indexed needs this header
      l_options := '{"headers":{"Prefer":"HonorNonIndexedQueriesWarningMayFailRandomly"}}';
    end if;
    return msgraph.get_all(l_url, p_max_items, p_credential, l_options);
  end list_items;
end msgraph_m365;
/
