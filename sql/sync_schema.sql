-- Tables of MSGRAPH_SYNC (run by install.sql before the package; dropped by
-- uninstall.sql). Delta sync of users' events, contacts and To Do tasks
-- into staging tables; sql/SYNC.md explains the design.
-- Minimum release: 12.2 (with MSGRAPH_M365 / MSGRAPH_SYNC; install.sql skips
-- it below that).

-- The mailboxes to sync and what to sync of each.
create table msgraph_sync_mailbox (
  mailbox     varchar2(256) not null,            -- user id or userPrincipalName
  kinds       varchar2(100) default 'events,contacts,tasks' not null,
  enabled     varchar2(1)   default 'Y' not null,
  added_at    timestamp     default systimestamp not null,
  constraint msgraph_sync_mailbox_pk primary key (mailbox),
  constraint msgraph_sync_mailbox_enab_ck check (enabled in ('Y', 'N'))
);

-- One row per synced collection: a mailbox's events, its contacts, each
-- of its To Do lists. delta_link is written only after every page of a
-- round has been applied (and committed): a failed round leaves the
-- previous link, and the next run replays from it (idempotent MERGEs).
-- NULL delta_link: the next round is a full one.
create table msgraph_sync_state (
  mailbox        varchar2(256)  not null,
  kind           varchar2(16)   not null,          -- 'events', 'contacts', 'tasks'
  collection_id  varchar2(256)  default '-' not null,  -- the To Do list id; '-' otherwise
  delta_link     varchar2(4000),
  round_no       number         default 0 not null,    -- incremented as each round starts
  full_round_no  number,                             -- the round that last started full
  rounds_done    number         default 0 not null,
  resyncs        number         default 0 not null,    -- resync signals honoured (410, syncStateNotFound)
  last_started   timestamp,
  last_finished  timestamp,
  last_status    varchar2(16),                       -- 'OK', 'FAILED', 'RESYNC'
  last_error     varchar2(4000),
  constraint msgraph_sync_state_pk primary key (mailbox, kind, collection_id),
  constraint msgraph_sync_state_kind_ck check (kind in ('events', 'contacts', 'tasks'))
);

-- Staging: one row per item, the item's JSON in raw_json, the columns
-- most queries need beside it. round_no: the round that last wrote it; a
-- full round deletes what it did not write (gone on the server).
create table msgraph_sync_event (
  mailbox          varchar2(256)  not null,
  id               varchar2(512)  not null,
  subject          varchar2(1000),
  start_time       timestamp,        -- in start_time_zone (UTC unless the event says otherwise)
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
  constraint msgraph_sync_event_json_ck check (raw_json is json)
);

create table msgraph_sync_contact (
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
  constraint msgraph_sync_contact_json_ck check (raw_json is json)
);

create table msgraph_sync_task (
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
  constraint msgraph_sync_task_json_ck check (raw_json is json)
);

-- One row per collection per run (and one per skipped run).
create sequence msgraph_sync_log_seq;
create table msgraph_sync_log (
  log_id        number         default msgraph_sync_log_seq.nextval not null,
  run_started   timestamp      not null,
  mailbox       varchar2(256),
  kind          varchar2(16),
  collection_id varchar2(256),
  full_round    varchar2(1),
  pages         number,
  upserts       number,
  deletes       number,
  status        varchar2(16)   not null,           -- 'OK', 'FAILED', 'SKIPPED'
  error         varchar2(4000),
  logged_at     timestamp      default systimestamp not null,
  constraint msgraph_sync_log_pk primary key (log_id)
);
create index msgraph_sync_log_run_ix on msgraph_sync_log (run_started);
