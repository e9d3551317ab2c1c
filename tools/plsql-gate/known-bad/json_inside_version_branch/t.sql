-- JSON_OBJECT_T only where the release has it, as utPLSQL and Logger do:
-- Oracle compiles the $IF branch from 12.2 on and the $ELSE one before.
create or replace function id_of(p_doc in clob) return varchar2 is
begin
  $if dbms_db_version.version > 12 or (dbms_db_version.version = 12 and dbms_db_version.release >= 2) $then
    return json_object_t.parse(p_doc).get_string('id');
  $elsif dbms_db_version.version = 12 $then
    return substr(p_doc, 1, 10);
  $else
    return null;
  $end
end;
/
