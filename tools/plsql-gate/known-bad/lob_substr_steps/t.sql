-- DBMS_LOB.SUBSTR counts a CLOB in UCS-2 code units: walking it in fixed
-- steps puts a step edge between the two halves of an emoji somewhere
-- (MSGRAPH_M365.append_json_clob did this before it used msgraph.json_string).
create or replace procedure escape_steps(p_out in out nocopy clob, p_text in clob) is
  l_len   integer := dbms_lob.getlength(p_text);
  l_pos   integer := 1;
  l_piece varchar2(32767);
begin
  while l_pos <= l_len loop
    l_piece := replace(dbms_lob.substr(p_text, 4000, l_pos), '"', '\"');
    dbms_lob.writeappend(p_out, length2(l_piece), l_piece);
    l_pos := l_pos + 4000;
  end loop;
end;
/
