-- SQL*Plus with DEFINE on asks for a value of &endDateTime (then compiles
-- whatever it was given).
@@body.pkb
