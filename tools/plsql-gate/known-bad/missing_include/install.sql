-- SP2-0310: unable to open file.
@@not_there.sql
