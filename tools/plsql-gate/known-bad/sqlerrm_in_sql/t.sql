-- PL/SQL Language Reference (SQLERRM function): "You cannot use SQLERRM
-- directly in a SQL statement", e.g. INSERT INTO errors VALUES (SQLERRM, ...).
create or replace procedure log_it is
begin
  null;
exception
  when others then
    insert into errors values (sqlerrm, sysdate);
end;
/
