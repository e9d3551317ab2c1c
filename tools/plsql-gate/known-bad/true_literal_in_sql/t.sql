-- TRUE in a SQL statement before 23ai: ORA-00904 "TRUE": invalid identifier.
begin
  insert into t (flag) values (true);
end;
/
