create or replace package msgraph_sync authid definer as
  /*
   * Minimum release: 12.2 (JSON_OBJECT_T, JSON_TABLE); install.sql skips
   * it below that (sql/README.md: release matrix).
   * MSGRAPH_SYNC: users' events, contacts and To Do tasks, kept in staging
   * tables (sync_schema.sql) by delta queries with application
   * permissions (Calendars.Read, Contacts.Read, Tasks.Read.All). The
   * design and the operations are in sql/SYNC.md.
   *
   * - Resumable: a collection's deltaLink is stored only after every page
   *   of the round is applied and committed. A run that fails (or is
   *   killed) half way leaves the previous link; the next run replays
   *   from it, and the MERGEs and DELETEs make the replay harmless.
   * - Restartable after a resync signal (410 Gone, syncStateNotFound,
   *   resyncRequired): the link is dropped and a full round starts at
   *   once; a full round deletes the staged items it did not see.
   * - Safe from a scheduler job every few minutes: run takes the
   *   exclusive DBMS_LOCK 'MSGRAPH_SYNC' without waiting; a second run
   *   that finds it taken logs SKIPPED and returns. DBMS_APPLICATION_INFO
   *   shows the mailbox being synced in V$SESSION (MODULE 'MSGRAPH_SYNC').
   * - One collection's failure (throttled, denied, server error) is logged
   *   (msgraph_sync_log, msgraph_sync_state.last_error) and the run goes
   *   on with the next.
   */

  c_lock_name  constant varchar2(30)  := 'MSGRAPH_SYNC';
  c_all_kinds  constant varchar2(100) := 'events,contacts,tasks';

  -- The calendarView window of a full events round, in days around today
  -- (the deltaLink keeps the window until the next full round).
  g_days_back  pls_integer := 30;
  g_days_ahead pls_integer := 365;

  -- Registers a mailbox (user id or UPN) to sync; p_kinds: a comma list
  -- of 'events', 'contacts', 'tasks'.
  procedure add_mailbox(p_mailbox in varchar2, p_kinds in varchar2 default c_all_kinds);
  -- Unregisters a mailbox and deletes its state and staged items.
  procedure remove_mailbox(p_mailbox in varchar2);
  -- The next round of these collections is a full one (NULL: every kind).
  procedure reset(p_mailbox in varchar2, p_kind in varchar2 default null);

  -- Syncs one mailbox now (no lock taken); returns the number of
  -- collections that failed (each logged), 0 when all are current.
  function sync_mailbox(
    p_mailbox    in varchar2,
    p_kinds      in varchar2 default c_all_kinds,
    p_credential in varchar2 default null) return pls_integer;

  -- Syncs every enabled mailbox of msgraph_sync_mailbox under the lock.
  -- Returns the number of failed collections, or -1 when another run
  -- holds the lock (waited p_wait_seconds for it).
  function run(p_credential in varchar2 default null, p_wait_seconds in pls_integer default 0)
    return pls_integer;
  -- For DBMS_SCHEDULER: the same; raises only when the lock cannot be
  -- requested at all.
  procedure run(p_credential in varchar2 default null, p_wait_seconds in pls_integer default 0);
end msgraph_sync;
/
