-- JSON_OBJECT_T is new in 12.2: PLS-00201 on 12.1.
create or replace function id_of(p_doc in clob) return varchar2 is
begin
  return json_object_t.parse(p_doc).get_string('id');
end;
/
