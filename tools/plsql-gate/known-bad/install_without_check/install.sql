-- Prints Done and exits 0 with INVALID packages: no WHENEVER SQLERROR,
-- no check of USER_OBJECTS after the sources.
create or replace library l as '/x/lib.so';
/
@@p.pks
prompt Done.
