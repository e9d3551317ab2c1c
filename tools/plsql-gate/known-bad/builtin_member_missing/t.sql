-- PLS-00306 on a catalogued built-in: DBMS_LOB.WRITEAPPEND takes three arguments.
create or replace procedure add_text(p_clob in out nocopy clob, p_text in varchar2) is
begin
  dbms_lob.writeappend(p_clob, p_text);
end;
/
