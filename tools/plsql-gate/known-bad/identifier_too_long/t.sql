-- Identifiers are at most 30 bytes before 12.2 (ORA-00972), 128 from 12.2.
create table t_sync_mailbox (
  enabled varchar2(1),
  constraint msgraph_sync_mailbox_enabled_ck check (enabled in ('Y', 'N'))
);
