create or replace package msgraph_sync authid definer as
  /*
   * Minimum release: 18 (JSON_TABLE columns returning CLOB for the items'
   * JSON; JSON_TABLE itself is 12.1.0.2, DBMS_PARALLEL_EXECUTE 11.2);
   * install.sql skips it below that (sql/README.md: release matrix).
   * MSGRAPH_SYNC: users' events, contacts and To Do tasks, kept in staging
   * tables (sync_schema.sql) by delta queries with application
   * permissions (Calendars.Read, Contacts.Read, Tasks.Read.All), on the
   * library's sync engine (msgraph_xp_sync_round: $batch of 20, concurrent
   * $batch calls, Outlook's per-mailbox limits, resync per collection).
   * The design and the operations are in sql/SYNC.md.
   *
   * - Mailboxes are grouped in chunks (msgraph_sync_mailbox.chunk_no,
   *   g_mailboxes_per_chunk a chunk). A chunk is synced by one session:
   *   one engine call at a time over all its collections, the changes
   *   applied set-based (MERGE from JSON_TABLE over the change set, DELETE
   *   for removals) and committed, then the new deltaLinks stored and
   *   committed. A round too large for one call goes on with the engine's
   *   cursor.
   * - Resumable: a collection's deltaLink is stored only after its changes
   *   are committed; a run that fails or is killed half way leaves the
   *   previous link, and the next run replays from it (MERGE and DELETE by
   *   key make the replay harmless). A full round ends by deleting the
   *   staged items it did not write.
   * - Restartable after a resync signal (410 Gone, syncStateNotFound,
   *   resyncRequired): the engine restarts that collection with a full
   *   round in the same call; a second signal fails it until the next run.
   * - Scale-out: run_parallel hands the chunks to DBMS_PARALLEL_EXECUTE,
   *   each chunk in its own job session (and so its own extproc agent, on
   *   any RAC instance). run does the same chunks one after another.
   * - Locks per chunk (DBMS_LOCK 'MSGRAPH_SYNC_CHUNK_<n>'), not one
   *   global lock: a chunk another session is syncing is skipped (logged
   *   SKIPPED); the others go on.
   * - Every run is a row of msgraph_sync_run; msgraph_sync_run_summary
   *   shows per run its collections, changes, failures, duration and the
   *   throttling the library met.
   */

  c_all_kinds  constant varchar2(100) := 'events,contacts,tasks';

  -- The calendarView window of a full events round, in days around today
  -- (the deltaLink keeps the window until the next full round).
  g_days_back  pls_integer := 30;
  g_days_ahead pls_integer := 365;
  -- The engine's options: most items one call hands back (the change set
  -- is read into a CLOB of this session), Prefer odata.maxpagesize, and
  -- $batch calls in flight per chunk (1 to 16).
  g_max_items   pls_integer := 5000;
  g_page_size   pls_integer := 100;
  g_concurrency pls_integer := 4;
  -- Chunk size given to newly added mailboxes (rechunk renumbers all).
  g_mailboxes_per_chunk pls_integer := 50;

  -- Registers a mailbox (user id or UPN) to sync; p_kinds: a comma list
  -- of 'events', 'contacts', 'tasks'.
  procedure add_mailbox(p_mailbox in varchar2, p_kinds in varchar2 default c_all_kinds);
  -- Unregisters a mailbox and deletes its state and staged items.
  procedure remove_mailbox(p_mailbox in varchar2);
  -- The next round of these collections is a full one (NULL: every kind).
  procedure reset(p_mailbox in varchar2, p_kind in varchar2 default null);
  -- Regroups every mailbox into chunks of p_mailboxes_per_chunk.
  procedure rechunk(p_mailboxes_per_chunk in pls_integer default 50);

  -- Syncs one chunk now in this session (its lock waited for up to
  -- p_wait_seconds). Returns the number of collections that failed (each
  -- logged), or -1 when another session holds the chunk.
  function sync_chunk(
    p_chunk_no     in number,
    p_credential   in varchar2 default null,
    p_wait_seconds in pls_integer default 0) return pls_integer;

  -- Syncs one mailbox now (registered first if it is not), under its
  -- chunk's lock; returns the number of collections that failed.
  function sync_mailbox(
    p_mailbox    in varchar2,
    p_kinds      in varchar2 default c_all_kinds,
    p_credential in varchar2 default null) return pls_integer;

  -- Syncs every chunk of enabled mailboxes, one after another in this
  -- session. Returns the number of failed collections, or -1 when every
  -- chunk was held by another session.
  function run(p_credential in varchar2 default null, p_wait_seconds in pls_integer default 0)
    return pls_integer;
  -- For DBMS_SCHEDULER: the same.
  procedure run(p_credential in varchar2 default null, p_wait_seconds in pls_integer default 0);

  -- Syncs every chunk through DBMS_PARALLEL_EXECUTE, p_parallel_level job
  -- sessions at a time (needs CREATE JOB); waits for the end. Returns the
  -- run's id (msgraph_sync_run_summary).
  function run_parallel(p_credential in varchar2 default null, p_parallel_level in pls_integer default 4)
    return number;
  procedure run_parallel(p_credential in varchar2 default null, p_parallel_level in pls_integer default 4);

  -- The statement DBMS_PARALLEL_EXECUTE runs in each job session: the
  -- chunks p_start_id .. p_end_id of run p_run_id (its credential).
  procedure run_chunks(p_run_id in number, p_start_id in number, p_end_id in number);
end msgraph_sync;
/
