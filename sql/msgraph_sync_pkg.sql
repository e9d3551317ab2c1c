-- Called by install.sql: the MSGRAPH_SYNC package (after sync_schema.sql).
prompt Creating package MSGRAPH_SYNC
@@msgraph_sync.pks
show errors package msgraph_sync
@@msgraph_sync.pkb
show errors package body msgraph_sync
