-- DBMS_LOB amounts on a CLOB count UCS-2 code units: LENGTH() counts a
-- character outside the BMP once in AL32UTF8, so the append is cut short.
create or replace procedure add_text(p_clob in out nocopy clob, p_text in varchar2) is
begin
  dbms_lob.writeappend(p_clob, length(p_text), p_text);
end;
/
