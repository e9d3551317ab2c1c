create or replace package body msgraph_sync as
  /*
   * Minimum release: 12.2 (JSON_OBJECT_T, JSON_TABLE); install.sql skips
   * it below that (sql/README.md: release matrix).
   * tests/extproc/sync.c ports this body to C (the same calls, page loop,
   * resync and commit points, with the tables emulated) and runs it
   * against the Graph emulator through the agent emulation: partial
   * failure and resume, a session killed mid-round, resync, overlapping
   * runs. The SQL statements themselves (MERGE, DELETE, DBMS_LOCK) are
   * verified only on paper (sql/SYNC.md).
   */

  g_run_started timestamp;

  ------------------------------------------------------------ JSON access

  function str(p_obj in json_object_t, p_key in varchar2, p_key2 in varchar2 default null,
               p_key3 in varchar2 default null) return varchar2
  is
    l_obj json_object_t := p_obj;
  begin
    if l_obj is null then
      return null;
    end if;
    if p_key2 is null then
      return l_obj.get_string(p_key);
    end if;
    l_obj := l_obj.get_object(p_key);
    if l_obj is null then
      return null;
    end if;
    if p_key3 is null then
      return l_obj.get_string(p_key2);
    end if;
    l_obj := l_obj.get_object(p_key2);
    if l_obj is null then
      return null;
    end if;
    return l_obj.get_string(p_key3);
  end str;

  function first_email(p_obj in json_object_t) return varchar2 is
    l_arr json_array_t := p_obj.get_array('emailAddresses');
  begin
    if l_arr is null or l_arr.get_size = 0 then
      return null;
    end if;
    return treat(l_arr.get(0) as json_object_t).get_string('address');
  end first_email;

  function ts(p_text in varchar2) return timestamp is
  begin
    return msgraph_m365.to_utc(p_text);
  end ts;

  function seg(p_text in varchar2) return varchar2 is
  begin
    return msgraph_m365.url_segment(p_text);
  end seg;

  ------------------------------------------------------------------ log

  procedure log_row(p_mailbox in varchar2, p_kind in varchar2, p_collection in varchar2,
                    p_full in boolean, p_pages in pls_integer, p_upserts in pls_integer,
                    p_deletes in pls_integer, p_status in varchar2, p_error in varchar2 default null) is
    -- BOOLEAN is not a SQL type before 23ai: decided here, bound as text.
    l_full varchar2(1) := case when p_full then 'Y' when not p_full then 'N' end;
  begin
    insert into msgraph_sync_log (run_started, mailbox, kind, collection_id, full_round, pages,
                                  upserts, deletes, status, error)
    values (coalesce(g_run_started, systimestamp), p_mailbox, p_kind, p_collection,
            l_full,
            p_pages, p_upserts, p_deletes, p_status, substr(p_error, 1, 4000));
  end log_row;

  --------------------------------------------------------- collections

  function initial_url(p_mailbox in varchar2, p_kind in varchar2, p_collection in varchar2)
    return varchar2
  is
    l_today timestamp := trunc(sys_extract_utc(systimestamp));
  begin
    if p_kind = 'events' then
      return '/users/' || seg(p_mailbox) || '/calendarView/delta?startDateTime='
        || to_char(l_today - g_days_back, 'YYYY-MM-DD"T"HH24:MI:SS') || 'Z&endDateTime='
        || to_char(l_today + g_days_ahead, 'YYYY-MM-DD"T"HH24:MI:SS') || 'Z';
    elsif p_kind = 'contacts' then
      return '/users/' || seg(p_mailbox) || '/contacts/delta';
    end if;
    return '/users/' || seg(p_mailbox) || '/todo/lists/' || seg(p_collection) || '/tasks/delta';
  end initial_url;

  procedure ensure_state(p_mailbox in varchar2, p_kind in varchar2, p_collection in varchar2) is
  begin
    insert into msgraph_sync_state (mailbox, kind, collection_id)
    select p_mailbox, p_kind, p_collection from dual
     where not exists (select null from msgraph_sync_state
                        where mailbox = p_mailbox and kind = p_kind and collection_id = p_collection);
  end ensure_state;

  -- Raises for a page that is not a 2xx: ORA-20011 for a resync signal,
  -- else the error of MSGRAPH's table with Graph's code and message.
  procedure check_page(p_status in pls_integer, p_page in clob) is
    l_code    varchar2(100);
    l_message varchar2(2000);
    l_err     json_object_t;
  begin
    if p_status between 200 and 299 then
      return;
    end if;
    begin
      l_err := json_object_t.parse(p_page).get_object('error');
      l_code := substr(l_err.get_string('code'), 1, 100);
      l_message := substr(l_err.get_string('message'), 1, 1500);
    exception
      when others then
        null;
    end;
    if p_status = 410 or l_code in ('syncStateNotFound', 'resyncRequired') then
      raise_application_error(-20011, 'MSGRAPH_ERR_RESYNC: HTTP ' || p_status || ' ' || l_code
        || ': the delta token is no longer valid');
    end if;
    raise_application_error(
      case when p_status = 429 then -20007
           when p_status = 401 then -20004
           when p_status = 403 and instr(l_message, 'Access to OData is disabled') > 0 then -20013
           when p_status = 403 then -20014
           when p_status = 404 then -20015
           when p_status in (409, 412) then -20017
           when p_status in (408, 504) then -20006
           when p_status >= 500 then -20018
           else -20016 end,
      'HTTP ' || p_status || ' ' || l_code || ': ' || l_message || ' request-id=' || msgraph.g_request_id);
  end check_page;

  -- One item of a delta page: '@removed' deletes, anything else is merged.
  -- (The values are taken out of the JSON first: private functions cannot
  -- be called from SQL.)
  procedure apply_item(p_mailbox in varchar2, p_kind in varchar2, p_collection in varchar2,
                       p_item in json_object_t, p_round in number,
                       p_upserts in out pls_integer, p_deletes in out pls_integer)
  is
    l_id   varchar2(512) := p_item.get_string('id');
    l_raw  clob;
    l_text varchar2(1000);   -- subject, displayName, title
    l_v1   varchar2(1000);   -- location, email, status
    l_v2   varchar2(1000);   -- organizer, company, importance
    l_v3   varchar2(100);    -- start time zone, mobile phone
    l_v4   varchar2(100);    -- end time zone
    l_v5   varchar2(5);      -- isCancelled
    l_t1   timestamp;        -- start, due
    l_t2   timestamp;        -- end
    l_mod  timestamp;
  begin
    if p_item.has('@removed') then
      if p_kind = 'events' then
        delete from msgraph_sync_event where mailbox = p_mailbox and id = l_id;
      elsif p_kind = 'contacts' then
        delete from msgraph_sync_contact where mailbox = p_mailbox and id = l_id;
      else
        delete from msgraph_sync_task where mailbox = p_mailbox and list_id = p_collection and id = l_id;
      end if;
      p_deletes := p_deletes + 1;
      return;
    end if;
    l_raw := p_item.to_clob;
    l_mod := ts(str(p_item, 'lastModifiedDateTime'));
    if p_kind = 'events' then
      l_text := substr(str(p_item, 'subject'), 1, 1000);
      l_t1 := ts(str(p_item, 'start', 'dateTime'));
      l_v3 := substr(str(p_item, 'start', 'timeZone'), 1, 100);
      l_t2 := ts(str(p_item, 'end', 'dateTime'));
      l_v4 := substr(str(p_item, 'end', 'timeZone'), 1, 100);
      l_v1 := substr(str(p_item, 'location', 'displayName'), 1, 1000);
      l_v2 := substr(str(p_item, 'organizer', 'emailAddress', 'address'), 1, 320);
      l_v5 := case p_item.get_boolean('isCancelled') when true then 'true' when false then 'false' end;
      merge into msgraph_sync_event t
      using (select p_mailbox mailbox, l_id id from dual) s
         on (t.mailbox = s.mailbox and t.id = s.id)
       when matched then update set
            subject = l_text, start_time = l_t1, start_time_zone = l_v3, end_time = l_t2,
            end_time_zone = l_v4, location = l_v1, organizer = l_v2, is_cancelled = l_v5,
            last_modified = l_mod, raw_json = l_raw, round_no = p_round, synced_at = systimestamp
       when not matched then insert
            (mailbox, id, subject, start_time, start_time_zone, end_time, end_time_zone, location,
             organizer, is_cancelled, last_modified, raw_json, round_no)
            values (s.mailbox, s.id, l_text, l_t1, l_v3, l_t2, l_v4, l_v1, l_v2, l_v5, l_mod, l_raw, p_round);
    elsif p_kind = 'contacts' then
      l_text := substr(str(p_item, 'displayName'), 1, 1000);
      l_v1 := substr(first_email(p_item), 1, 320);
      l_v2 := substr(str(p_item, 'companyName'), 1, 1000);
      l_v3 := substr(str(p_item, 'mobilePhone'), 1, 100);
      merge into msgraph_sync_contact t
      using (select p_mailbox mailbox, l_id id from dual) s
         on (t.mailbox = s.mailbox and t.id = s.id)
       when matched then update set
            display_name = l_text, email = l_v1, company_name = l_v2, mobile_phone = l_v3,
            last_modified = l_mod, raw_json = l_raw, round_no = p_round, synced_at = systimestamp
       when not matched then insert
            (mailbox, id, display_name, email, company_name, mobile_phone, last_modified, raw_json, round_no)
            values (s.mailbox, s.id, l_text, l_v1, l_v2, l_v3, l_mod, l_raw, p_round);
    else
      l_text := substr(str(p_item, 'title'), 1, 1000);
      l_v1 := substr(str(p_item, 'status'), 1, 32);
      l_v2 := substr(str(p_item, 'importance'), 1, 16);
      l_t1 := ts(str(p_item, 'dueDateTime', 'dateTime'));
      merge into msgraph_sync_task t
      using (select p_mailbox mailbox, p_collection list_id, l_id id from dual) s
         on (t.mailbox = s.mailbox and t.list_id = s.list_id and t.id = s.id)
       when matched then update set
            title = l_text, status = l_v1, importance = l_v2, due_time = l_t1,
            last_modified = l_mod, raw_json = l_raw, round_no = p_round, synced_at = systimestamp
       when not matched then insert
            (mailbox, list_id, id, title, status, importance, due_time, last_modified, raw_json, round_no)
            values (s.mailbox, s.list_id, s.id, l_text, l_v1, l_v2, l_t1, l_mod, l_raw, p_round);
    end if;
    p_upserts := p_upserts + 1;
  end apply_item;

  -- A full round ends by deleting what it did not write.
  procedure sweep(p_mailbox in varchar2, p_kind in varchar2, p_collection in varchar2,
                  p_round in number, p_deletes in out pls_integer) is
  begin
    if p_kind = 'events' then
      delete from msgraph_sync_event where mailbox = p_mailbox and round_no < p_round;
    elsif p_kind = 'contacts' then
      delete from msgraph_sync_contact where mailbox = p_mailbox and round_no < p_round;
    else
      delete from msgraph_sync_task where mailbox = p_mailbox and list_id = p_collection and round_no < p_round;
    end if;
    p_deletes := p_deletes + sql%rowcount;
  end sweep;

  -- One delta round of one collection: every page applied and committed,
  -- then (and only then) the new deltaLink stored.
  procedure sync_round(p_mailbox in varchar2, p_kind in varchar2, p_collection in varchar2,
                       p_credential in varchar2)
  is
    l_link    varchar2(4000);
    l_round   number;
    l_full    boolean;
    l_full_round number;
    l_url     varchar2(4000);
    l_page    clob;
    l_doc     json_object_t;
    l_items   json_array_t;
    l_pages   pls_integer := 0;
    l_upserts pls_integer := 0;
    l_deletes pls_integer := 0;
  begin
    select delta_link, round_no + 1 into l_link, l_round
      from msgraph_sync_state
     where mailbox = p_mailbox and kind = p_kind and collection_id = p_collection
       for update;
    l_full := l_link is null;
    if l_full then
      l_full_round := l_round;   -- BOOLEAN is not a SQL type before 23ai
    end if;
    -- A new number for every round that starts, so a full round never
    -- mistakes rows of an earlier, failed attempt for its own.
    update msgraph_sync_state
       set round_no = l_round, last_started = systimestamp,
           full_round_no = coalesce(l_full_round, full_round_no)
     where mailbox = p_mailbox and kind = p_kind and collection_id = p_collection;
    commit;
    l_url := coalesce(l_link, initial_url(p_mailbox, p_kind, p_collection));
    loop
      l_page := msgraph.make_rest_request(l_url, 'GET', null, p_credential);
      check_page(msgraph.g_status_code, l_page);
      l_pages := l_pages + 1;
      l_doc := json_object_t.parse(l_page);
      l_items := l_doc.get_array('value');
      if l_items is not null then
        for i in 0 .. l_items.get_size - 1 loop
          apply_item(p_mailbox, p_kind, p_collection, treat(l_items.get(i) as json_object_t), l_round,
                     l_upserts, l_deletes);
        end loop;
      end if;
      commit;   -- the page is applied; the old deltaLink still stands
      if dbms_lob.istemporary(l_page) = 1 then
        dbms_lob.freetemporary(l_page);
      end if;
      l_url := l_doc.get_string('@odata.nextLink');
      exit when l_url is null;
    end loop;
    l_link := l_doc.get_string('@odata.deltaLink');
    if l_link is null then
      raise_application_error(-20016, 'MSGRAPH_ERR_BAD_REQUEST: the last page has no @odata.deltaLink');
    end if;
    if l_full then
      sweep(p_mailbox, p_kind, p_collection, l_round, l_deletes);
    end if;
    update msgraph_sync_state
       set delta_link = l_link, rounds_done = rounds_done + 1, last_finished = systimestamp,
           last_status = 'OK', last_error = null
     where mailbox = p_mailbox and kind = p_kind and collection_id = p_collection;
    log_row(p_mailbox, p_kind, p_collection, l_full, l_pages, l_upserts, l_deletes, 'OK');
    commit;
  end sync_round;

  -- A round, and a full one at once when Graph signals a resync. Returns
  -- 1 when the collection failed (logged), else 0.
  function sync_collection(p_mailbox in varchar2, p_kind in varchar2, p_collection in varchar2,
                           p_credential in varchar2) return pls_integer
  is
    l_error varchar2(4000);
  begin
    ensure_state(p_mailbox, p_kind, p_collection);
    commit;
    for l_attempt in 1 .. 2 loop
      begin
        sync_round(p_mailbox, p_kind, p_collection, p_credential);
        return 0;
      exception
        when msgraph.e_resync_required then
          l_error := substr(sqlerrm, 1, 4000);   -- SQLERRM is not allowed inside SQL (PLS-00231)
          rollback;
          exit when l_attempt = 2;
          update msgraph_sync_state
             set delta_link = null, resyncs = resyncs + 1, last_status = 'RESYNC',
                 last_error = l_error
           where mailbox = p_mailbox and kind = p_kind and collection_id = p_collection;
          commit;
      end;
    end loop;
    l_error := 'resync signalled twice in a row';
    update msgraph_sync_state set last_status = 'FAILED', last_error = l_error
     where mailbox = p_mailbox and kind = p_kind and collection_id = p_collection;
    log_row(p_mailbox, p_kind, p_collection, null, null, null, null, 'FAILED', l_error);
    commit;
    return 1;
  exception
    when others then
      l_error := substr(sqlerrm, 1, 4000);
      rollback;   -- the page in hand; committed pages stay, the deltaLink stays the old one
      update msgraph_sync_state set last_status = 'FAILED', last_error = l_error
       where mailbox = p_mailbox and kind = p_kind and collection_id = p_collection;
      log_row(p_mailbox, p_kind, p_collection, null, null, null, null, 'FAILED', l_error);
      commit;
      return 1;
  end sync_collection;

  -- To Do: one collection per list; lists gone on the server are dropped.
  function sync_tasks(p_mailbox in varchar2, p_credential in varchar2) return pls_integer is
    l_lists  json_array_t;
    l_id     varchar2(512);
    l_ids    sys.odcivarchar2list := sys.odcivarchar2list();
    l_failed pls_integer := 0;
    l_error  varchar2(4000);
  begin
    begin
      l_lists := json_object_t.parse(msgraph_m365.todo_lists(p_mailbox, p_credential)).get_array('value');
    exception
      when others then
        l_error := substr(sqlerrm, 1, 4000);
        rollback;
        log_row(p_mailbox, 'tasks', '-', null, null, null, null, 'FAILED', l_error);
        commit;
        return 1;
    end;
    for i in 0 .. l_lists.get_size - 1 loop
      l_id := treat(l_lists.get(i) as json_object_t).get_string('id');
      l_ids.extend;
      l_ids(l_ids.count) := l_id;
      l_failed := l_failed + sync_collection(p_mailbox, 'tasks', l_id, p_credential);
    end loop;
    delete from msgraph_sync_task
     where mailbox = p_mailbox and list_id not in (select column_value from table(l_ids));
    delete from msgraph_sync_state
     where mailbox = p_mailbox and kind = 'tasks'
       and collection_id not in (select column_value from table(l_ids));
    commit;
    return l_failed;
  end sync_tasks;

  ---------------------------------------------------------------- public

  procedure add_mailbox(p_mailbox in varchar2, p_kinds in varchar2 default c_all_kinds) is
  begin
    merge into msgraph_sync_mailbox t
    using (select p_mailbox mailbox from dual) s on (t.mailbox = s.mailbox)
     when matched then update set kinds = p_kinds, enabled = 'Y'
     when not matched then insert (mailbox, kinds) values (s.mailbox, p_kinds);
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

  function sync_mailbox(p_mailbox in varchar2, p_kinds in varchar2 default c_all_kinds,
                        p_credential in varchar2 default null) return pls_integer
  is
    l_kinds  varchar2(200) := ',' || replace(lower(coalesce(p_kinds, c_all_kinds)), ' ') || ',';
    l_failed pls_integer := 0;
  begin
    g_run_started := coalesce(g_run_started, systimestamp);
    if instr(l_kinds, ',events,') > 0 then
      dbms_application_info.set_action(substr('events ' || p_mailbox, 1, 32));
      l_failed := l_failed + sync_collection(p_mailbox, 'events', '-', p_credential);
    end if;
    if instr(l_kinds, ',contacts,') > 0 then
      dbms_application_info.set_action(substr('contacts ' || p_mailbox, 1, 32));
      l_failed := l_failed + sync_collection(p_mailbox, 'contacts', '-', p_credential);
    end if;
    if instr(l_kinds, ',tasks,') > 0 then
      dbms_application_info.set_action(substr('tasks ' || p_mailbox, 1, 32));
      l_failed := l_failed + sync_tasks(p_mailbox, p_credential);
    end if;
    return l_failed;
  end sync_mailbox;

  function run(p_credential in varchar2 default null, p_wait_seconds in pls_integer default 0)
    return pls_integer
  is
    l_handle varchar2(128);
    l_rc     integer;
    l_failed pls_integer := 0;
  begin
    g_run_started := systimestamp;
    dbms_lock.allocate_unique(c_lock_name, l_handle);   -- commits
    l_rc := dbms_lock.request(l_handle, dbms_lock.x_mode, coalesce(p_wait_seconds, 0), false);
    if l_rc = 1 then
      log_row(null, null, null, null, null, null, null, 'SKIPPED', 'another run holds the lock ' || c_lock_name);
      commit;
      g_run_started := null;
      return -1;
    elsif l_rc not in (0, 4) then   -- 4: this session holds it already
      raise_application_error(-20001, 'MSGRAPH_ERR_ARGUMENT: DBMS_LOCK.REQUEST returned ' || l_rc);
    end if;
    dbms_application_info.set_module('MSGRAPH_SYNC', 'run');
    begin
      for m in (select mailbox, kinds from msgraph_sync_mailbox where enabled = 'Y' order by mailbox) loop
        l_failed := l_failed + sync_mailbox(m.mailbox, m.kinds, p_credential);
      end loop;
    exception
      when others then
        l_rc := dbms_lock.release(l_handle);
        dbms_application_info.set_module(null, null);
        g_run_started := null;
        raise;
    end;
    l_rc := dbms_lock.release(l_handle);
    dbms_application_info.set_module(null, null);
    g_run_started := null;
    return l_failed;
  end run;

  procedure run(p_credential in varchar2 default null, p_wait_seconds in pls_integer default 0) is
    l_failed pls_integer;
  begin
    l_failed := run(p_credential, p_wait_seconds);
  end run;
end msgraph_sync;
/
