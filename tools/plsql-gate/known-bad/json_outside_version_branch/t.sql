-- JSON_OBJECT_T guarded by the wrong conditional-compilation branch: from
-- 12.1 on Oracle compiles the $ELSE branch, so PLS-00201 on 12.1.
create or replace function id_of(p_doc in clob) return varchar2 is
begin
  $if dbms_db_version.ver_le_11_2 $then
    return null;
  $else
    return json_object_t.parse(p_doc).get_string('id');
  $end
end;
/
