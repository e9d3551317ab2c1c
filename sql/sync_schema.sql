-- Tables of MSGRAPH_SYNC (run by install.sql before the package, on every
-- install; dropped by uninstall.sql). Delta sync of users' events, contacts
-- and To Do tasks into staging tables; sql/SYNC.md explains the design.
-- Minimum release: 18 (with MSGRAPH_SYNC; install.sql skips it below that).
--
-- Re-runnable: every table, column, index and sequence is created only if
-- it is missing (ORA-00955, ORA-01430, ORA-01408 are taken as "already
-- there"), so a reinstall over an earlier version keeps the data and adds
-- what is new. The view is replaced.

declare
  e_exists  exception;
  e_column  exception;
  e_indexed exception;
  pragma exception_init(e_exists, -955);
  pragma exception_init(e_column, -1430);
  pragma exception_init(e_indexed, -1408);

  procedure ddl(p_sql in varchar2) is
  begin
    execute immediate p_sql;
  exception
    when e_exists or e_column or e_indexed then
      null;
  end ddl;
begin
  -- The mailboxes to sync and what to sync of each. mailbox_no numbers
  -- them; chunk_no groups them into the chunks a run works on (one engine
  -- call at a time per chunk, one session per chunk, one lock per chunk).
  ddl(q'[create table msgraph_sync_mailbox (
    mailbox     varchar2(256) not null,
    kinds       varchar2(100) default 'events,contacts,tasks' not null,
    enabled     varchar2(1)   default 'Y' not null,
    added_at    timestamp     default systimestamp not null,
    constraint msgraph_sync_mailbox_pk primary key (mailbox),
    constraint msgraph_sync_mailbox_enab_ck check (enabled in ('Y', 'N')))]');
  ddl('create sequence msgraph_sync_mailbox_seq');
  ddl('alter table msgraph_sync_mailbox add (mailbox_no number)');
  ddl('alter table msgraph_sync_mailbox add (chunk_no number)');
  ddl('create index msgraph_sync_mailbox_chunk_ix on msgraph_sync_mailbox (chunk_no)');

  -- One row per synced collection: a mailbox's events, its contacts, each
  -- of its To Do lists. delta_link is written only after the changes of
  -- its round are committed. NULL delta_link: the next round is full.
  -- round_no: the round under way or last run; full_round_no = round_no
  -- while that round is a full one (its end sweeps older rows). cur_*:
  -- what the round under way has applied so far (logged at its end).
  ddl(q'[create table msgraph_sync_state (
    mailbox        varchar2(256)  not null,
    kind           varchar2(16)   not null,
    collection_id  varchar2(256)  default '-' not null,
    delta_link     varchar2(4000),
    round_no       number         default 0 not null,
    full_round_no  number,
    rounds_done    number         default 0 not null,
    resyncs        number         default 0 not null,
    last_started   timestamp,
    last_finished  timestamp,
    last_status    varchar2(16),
    last_error     varchar2(4000),
    constraint msgraph_sync_state_pk primary key (mailbox, kind, collection_id),
    constraint msgraph_sync_state_kind_ck check (kind in ('events', 'contacts', 'tasks')))]');
  ddl('alter table msgraph_sync_state add (cur_pages number default 0 not null)');
  ddl('alter table msgraph_sync_state add (cur_upserts number default 0 not null)');
  ddl('alter table msgraph_sync_state add (cur_deletes number default 0 not null)');

  -- Staging: one row per item, the item's JSON in raw_json, the columns
  -- most queries need beside it; round_no: the round that last wrote it.
  ddl(q'[create table msgraph_sync_event (
    mailbox          varchar2(256)  not null,
    id               varchar2(512)  not null,
    subject          varchar2(1000),
    start_time       timestamp,
    start_time_zone  varchar2(100),
    end_time         timestamp,
    end_time_zone    varchar2(100),
    location         varchar2(1000),
    organizer        varchar2(320),
    is_cancelled     varchar2(5),
    last_modified    timestamp,
    raw_json         clob,
    round_no         number         not null,
    synced_at        timestamp      default systimestamp not null,
    constraint msgraph_sync_event_pk primary key (mailbox, id),
    constraint msgraph_sync_event_json_ck check (raw_json is json))]');
  ddl(q'[create table msgraph_sync_contact (
    mailbox       varchar2(256)  not null,
    id            varchar2(512)  not null,
    display_name  varchar2(1000),
    email         varchar2(320),
    company_name  varchar2(1000),
    mobile_phone  varchar2(100),
    last_modified timestamp,
    raw_json      clob,
    round_no      number         not null,
    synced_at     timestamp      default systimestamp not null,
    constraint msgraph_sync_contact_pk primary key (mailbox, id),
    constraint msgraph_sync_contact_json_ck check (raw_json is json))]');
  ddl(q'[create table msgraph_sync_task (
    mailbox       varchar2(256)  not null,
    list_id       varchar2(512)  not null,
    id            varchar2(512)  not null,
    title         varchar2(1000),
    status        varchar2(32),
    importance    varchar2(16),
    due_time      timestamp,
    last_modified timestamp,
    raw_json      clob,
    round_no      number         not null,
    synced_at     timestamp      default systimestamp not null,
    constraint msgraph_sync_task_pk primary key (mailbox, list_id, id),
    constraint msgraph_sync_task_json_ck check (raw_json is json))]');

  -- One row per run (run, run_parallel, sync_mailbox).
  ddl('create sequence msgraph_sync_run_seq');
  ddl(q'[create table msgraph_sync_run (
    run_id         number         not null,
    run_mode       varchar2(16)   not null,
    credential     varchar2(256),
    parallel_level number,
    started        timestamp      default systimestamp not null,
    finished       timestamp,
    status         varchar2(16)   not null,
    error          varchar2(4000),
    constraint msgraph_sync_run_pk primary key (run_id),
    constraint msgraph_sync_run_status_ck check (status in ('RUNNING', 'DONE', 'FAILED')))]');

  -- One row per collection per run (and one per skipped chunk).
  ddl('create sequence msgraph_sync_log_seq');
  ddl(q'[create table msgraph_sync_log (
    log_id        number         default msgraph_sync_log_seq.nextval not null,
    run_started   timestamp      not null,
    mailbox       varchar2(256),
    kind          varchar2(16),
    collection_id varchar2(256),
    full_round    varchar2(1),
    pages         number,
    upserts       number,
    deletes       number,
    status        varchar2(16)   not null,
    error         varchar2(4000),
    logged_at     timestamp      default systimestamp not null,
    constraint msgraph_sync_log_pk primary key (log_id))]');
  ddl('create index msgraph_sync_log_run_ix on msgraph_sync_log (run_started)');
  ddl('alter table msgraph_sync_log add (run_id number)');
  ddl('alter table msgraph_sync_log add (chunk_no number)');
  ddl('alter table msgraph_sync_log add (ora_error number)');
  ddl('alter table msgraph_sync_log add (resync varchar2(1))');
  ddl('create index msgraph_sync_log_run_id_ix on msgraph_sync_log (run_id)');

  -- One row per engine call: what the library's summary says of it.
  ddl(q'[create table msgraph_sync_call (
    run_id       number         not null,
    chunk_no     number,
    call_no      number         not null,
    started      timestamp      not null,
    finished     timestamp      default systimestamp not null,
    collections  number,
    items        number,
    requests     number,
    batches      number,
    retries      number,
    page_rounds  number,
    status       varchar2(16)   not null,
    error        varchar2(4000))]');
  ddl('create index msgraph_sync_call_run_ix on msgraph_sync_call (run_id)');
end;
/

-- Mailboxes registered before mailbox_no existed get a number and a chunk
-- (50 a chunk; msgraph_sync.rechunk changes that).
begin
  execute immediate q'[update msgraph_sync_mailbox
     set mailbox_no = msgraph_sync_mailbox_seq.nextval where mailbox_no is null]';
  execute immediate q'[update msgraph_sync_mailbox
     set chunk_no = ceil(mailbox_no / 50) where chunk_no is null]';
  commit;
end;
/

-- Per run: collections, changes, failures, duration and throttling seen
-- (the retries the library made after 429s and 503s with Retry-After).
create or replace view msgraph_sync_run_summary as
select r.run_id,
       r.run_mode,
       r.status,
       r.started,
       r.finished,
       extract(day from (coalesce(r.finished, cast(systimestamp as timestamp)) - r.started)) * 86400
         + extract(hour from (coalesce(r.finished, cast(systimestamp as timestamp)) - r.started)) * 3600
         + extract(minute from (coalesce(r.finished, cast(systimestamp as timestamp)) - r.started)) * 60
         + extract(second from (coalesce(r.finished, cast(systimestamp as timestamp)) - r.started)) duration_s,
       coalesce(l.collections, 0) collections,
       coalesce(l.changes, 0)     changes,
       coalesce(l.failures, 0)    failures,
       coalesce(l.resyncs, 0)     resyncs,
       coalesce(l.skipped, 0)     chunks_skipped,
       coalesce(c.chunks, 0)      chunks,
       coalesce(c.calls, 0)       engine_calls,
       coalesce(c.requests, 0)    requests,
       coalesce(c.batches, 0)     batches,
       coalesce(c.retries, 0)     throttled_retries
  from msgraph_sync_run r
  left join (select run_id,
                    count(mailbox) collections,
                    sum(coalesce(upserts, 0) + coalesce(deletes, 0)) changes,
                    sum(case when status = 'FAILED' then 1 else 0 end) failures,
                    sum(case when resync = 'Y' then 1 else 0 end) resyncs,
                    sum(case when status = 'SKIPPED' then 1 else 0 end) skipped
               from msgraph_sync_log
              where run_id is not null
              group by run_id) l on l.run_id = r.run_id
  left join (select run_id,
                    count(distinct chunk_no) chunks,
                    count(*) calls,
                    sum(requests) requests,
                    sum(batches) batches,
                    sum(retries) retries
               from msgraph_sync_call
              group by run_id) c on c.run_id = r.run_id;
