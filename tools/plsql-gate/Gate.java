// PL/SQL verification gate for sql/ (issue 11). Parses every unit with
// ANTLR grammars-v4's PL/SQL grammar and checks rules that a compile on a
// real Oracle release would enforce. Each finding names the Oracle error
// it stands for. Usage:
//   java -cp CP Gate [--release R]... [--strict] [--fingerprint] FILE|DIR...
// Exit 0: no errors; 1: errors; 2: usage / I/O.
import org.antlr.v4.runtime.*;
import org.antlr.v4.runtime.atn.PredictionMode;
import org.antlr.v4.runtime.misc.ParseCancellationException;
import org.antlr.v4.runtime.tree.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.security.MessageDigest;
import java.util.*;
import java.util.regex.*;

public class Gate {
    // ------------------------------------------------------------ model
    static final class Unit {
        Path file; int line; String text; boolean plsql; ParserRuleContext tree; CommonTokenStream tokens;
        boolean defineOn, ordered, unknownSubst; String kind = ""; String name = "";
    }
    static final class Param { String name; String mode; boolean hasDefault; String type; }
    static final class Sub { String name; boolean function; String returns; List<Param> params = new ArrayList<>(); boolean inSpec; }
    static final class Pkg { String name; Map<String, List<Sub>> subs = new HashMap<>(); Map<String, String> vars = new HashMap<>(); Set<String> types = new HashSet<>(); int order; }
    static final class Finding { String rule, ora, where, msg; Finding(String r, String o, String w, String m) { rule = r; ora = o; where = w; msg = m; } }

    static final List<Finding> findings = new ArrayList<>();
    static final Set<String> seen = new HashSet<>();
    static final TreeMap<String, Integer> uncatalogued = new TreeMap<>();
    static final Map<String, Pkg> pkgs = new HashMap<>();
    static final Map<String, Integer> objectOrder = new HashMap<>(); // objects the scripts create -> unit order
    static final Set<String> columns = new HashSet<>();
    static final Map<String, Catalogue.Entry> catalogue = Catalogue.load();
    static double release = 23;
    static boolean strict = false, gapsApart = false, installPolicy = false;
    static int grammarGapUnits = 0;
    static boolean quietGaps = false;

    static void report(String rule, String ora, Unit u, int line, String msg) {
        // Code in a conditional-compilation branch this release does not
        // compile ($IF DBMS_DB_VERSION... $THEN) is not checked against it.
        if (inactiveLines != null && inactiveLines.contains(line)) return;
        String where = u.file + ":" + (u.line + line - 1);
        String key = rule + where + msg;
        if (seen.add(key)) findings.add(new Finding(rule, ora, where, msg));
    }
    static String rel(double r) { return r == Math.floor(r) ? String.valueOf((int) r) : String.valueOf(r); }

    // ------------------------------------------------------------ SQL*Plus
    static final Pattern PLSQL_START = Pattern.compile(
        "(?is)^(create\\s+(or\\s+replace\\s+)?((editionable|noneditionable)\\s+)?(package\\s+body|package|procedure|function|trigger|type\\s+body|type|library|java)\\b|declare\\b|begin\\b).*");
    static final Pattern UNIT_NAME = Pattern.compile(
        "(?is)^create\\s+(?:or\\s+replace\\s+)?(?:(?:editionable|noneditionable)\\s+)?(package\\s+body|package|procedure|function|trigger|type\\s+body|type|library|table|sequence|view|index|unique\\s+index)\\s+(?:\"?\\w+\"?\\.)?\"?(\\w+)\"?.*");
    static final Set<String> SQLPLUS = new HashSet<>(Arrays.asList(
        "set", "define", "def", "undefine", "undef", "column", "col", "prompt", "pro", "show", "sho", "whenever", "spool",
        "exit", "quit", "variable", "var", "exec", "execute", "start", "clear", "ttitle", "btitle", "break", "compute",
        "host", "$", "!", "pause", "accept", "acc", "connect", "conn", "disconnect", "timing", "rem", "remark", "print", "repheader"));
    static final Pattern AMP = Pattern.compile("&&?[A-Za-z0-9_]");

    /** Splits a script the way SQL*Plus reads it; follows @@ includes. */
    static final Set<String> defined = new HashSet<>();
    static final Pattern AMP_NAME = Pattern.compile("&&?([A-Za-z0-9_]+)");
    /** Returns the DEFINE state after the script (SET in a nested script lasts). */
    static final Deque<List<String>> ARGS = new ArrayDeque<>();
    static final Map<String, String> defineValues = new HashMap<>();
    static int unparsedSubst = 0;
    static final Set<Path> generated = new HashSet<>();
    static boolean relaxed = false;
    static boolean ordered = false;
    static final Set<String> doneKeys = new HashSet<>();
    static boolean include(Path p, List<String> args, boolean defineOn, List<Unit> out, Set<Path> visiting, Map<Path, Boolean> done, Path from) throws Exception {
        ARGS.push(args);
        try { return readScript(p, defineOn, out, visiting, done, from.getFileName().toString()); } finally { ARGS.pop(); }
    }
    static boolean readScript(Path file, boolean defineOn, List<Unit> out, Set<Path> visiting, Map<Path, Boolean> done, String via) throws Exception {
        file = file.toAbsolutePath().normalize();
        if (visiting.contains(file)) return defineOn;
        String key = file + "|" + (ARGS.isEmpty() ? "" : ARGS.peek()) + "|" + defineOn;
        if (!doneKeys.add(key)) return defineOn;
        if (done.containsKey(file) && ARGS.isEmpty() && (done.get(file) || !defineOn)) return defineOn;
        done.put(file, defineOn || done.getOrDefault(file, false));
        visiting.add(file);
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        Unit probe = new Unit(); probe.file = file; probe.line = 1;
        StringBuilder buf = null; int start = 0; boolean plsql = false; boolean inComment = false;
        List<String> literals = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i), t = line.trim();
            for (Matcher m = Pattern.compile("'([\\w./-]+\\.sql)'").matcher(line); m.find(); ) literals.add(m.group(1));
            String lt0 = t.toLowerCase();
            Matcher dm = Pattern.compile("^(?:define|def)\\s+(\\w+)\\s*=").matcher(lt0);
            if (buf == null && dm.find()) {
                defined.add(dm.group(1));
                Matcher vm = Pattern.compile("(?i)^(?:define|def)\\s+\\w+\\s*=\\s*(?:'([^']*)'|\"([^\"]*)\"|(\\S+))\\s*$").matcher(t);
                String val = vm.find() ? (vm.group(1) != null ? vm.group(1) : vm.group(2) != null ? vm.group(2) : vm.group(3)) : null;
                if (val != null && !val.contains("&")) defineValues.put(dm.group(1), val); else defineValues.remove(dm.group(1));
            }
            Matcher cm = Pattern.compile("^(?:column|col)\\s+.*\\bnew_v(?:alue)?\\s+(\\w+)").matcher(lt0);
            if (buf == null && cm.find()) defined.add(cm.group(1));
            // Comment lines between statements are not scanned; inside a statement (PL/SQL too) they are.
            boolean commandComment = buf == null && (inComment || lt0.startsWith("--") || lt0.startsWith("/*"));
            if (defineOn && !lt0.startsWith("rem") && !commandComment) {
                for (Matcher am = AMP_NAME.matcher(line); am.find(); ) {
                    String v = am.group(1).toLowerCase();
                    if (relaxed || v.matches("[0-9]+") || defined.contains(v)) continue;
                    report("sqlplus-substitution", "SP2-0317 (Enter value for " + v + ")", probe, i + 1,
                        "'&" + am.group(1) + "' with DEFINE on and no DEFINE of it: SQL*Plus asks for a value (or substitutes one) in "
                        + file.getFileName() + (via == null ? "" : " (run from " + via + ")") + "; SET DEFINE OFF before it");
                }
            }
            if (buf == null) {
                if (inComment) { if (t.contains("*/")) inComment = false; continue; }
                if (t.isEmpty() || t.startsWith("--")) continue;
                if (t.startsWith("/*")) { if (!t.contains("*/")) inComment = true; continue; }
                if (t.equals("/")) {
                    report("sqlplus-terminator", "SP2-0103/re-execution", probe, i + 1, "'/' with no statement before it re-runs the buffer");
                    continue;
                }
                String first = t.split("[\\s;]+")[0].toLowerCase();
                if (t.startsWith("@")) {
                    String rest = t.replaceFirst("^@@?", "").trim().replaceAll(";$", "");
                    List<String> parts = new ArrayList<>();
                    for (Matcher am = Pattern.compile("'([^']*)'|\"([^\"]*)\"|(\\S+)").matcher(rest); am.find(); )
                        parts.add(am.group(1) != null ? am.group(1) : am.group(2) != null ? am.group(2) : am.group(3));
                    String target = parts.isEmpty() ? "" : parts.get(0);
                    List<String> args = parts.size() > 1 ? parts.subList(1, parts.size()) : List.of();
                    Matcher argRef = Pattern.compile("^&&?([0-9]+)$").matcher(target);
                    if (argRef.matches() && !ARGS.isEmpty() && Integer.parseInt(argRef.group(1)) <= ARGS.peek().size())
                        target = ARGS.peek().get(Integer.parseInt(argRef.group(1)) - 1);
                    if (target.startsWith("&")) {
                        // A include chosen at run time: every .sql literal of the script is a candidate.
                        for (String lit : new LinkedHashSet<>(literals)) {
                            Path p = file.resolveSibling(lit);
                            if (Files.exists(p)) defineOn = include(p, args, defineOn, out, visiting, done, file);
                            else report("sqlplus-include", "SP2-0310", probe, i + 1, "include candidate " + lit + " does not exist");
                        }
                    } else {
                        Path p = file.resolveSibling(target);
                        if (!target.contains(".") && !Files.exists(p)) p = file.resolveSibling(target + ".sql");
                        if (generated.contains(p.toAbsolutePath().normalize())) relaxed = true; // written by SPOOL at run time
                        else if (!Files.exists(p)) report("sqlplus-include", "SP2-0310 (unable to open file)", probe, i + 1, "@@" + target + " does not exist");
                        else defineOn = include(p, args, defineOn, out, visiting, done, file);
                    }
                    continue;
                }
                if (first.equals("spool") && t.split("\\s+").length > 1 && !t.split("\\s+")[1].equalsIgnoreCase("off"))
                    generated.add(file.resolveSibling(t.split("\\s+")[1]).toAbsolutePath().normalize());
                if ((first.equals("accept") || first.equals("acc")) && t.split("\\s+").length > 1) defined.add(t.split("\\s+")[1].toLowerCase());
                if (SQLPLUS.contains(first)) {
                    String lt = t.toLowerCase();
                    if (lt.matches("^set\\s+(define|def)\\s+off.*")) defineOn = false;
                    else if (lt.matches("^set\\s+(define|def)\\s+(on|'.'|\\S).*")) defineOn = true;
                    continue;
                }
                buf = new StringBuilder(); start = i + 1; plsql = PLSQL_START.matcher(t).matches();
            }
            if (plsql) {
                if (t.equals("/")) { emit(file, start, buf, true, defineOn, out); buf = null; continue; }
                if (buf.length() > 0 && t.toLowerCase().matches("^create\\s+(or\\s+replace\\s+)?.*") && line.startsWith("c")
                        && prevCode(buf).toLowerCase().matches("(?s).*\\bend\\b[^;]*;\\s*$")) {
                    report("sqlplus-terminator", "PLS-00103 (next statement appended to the unit)", probe, i + 1,
                        "the PL/SQL unit from line " + start + " is not closed by a '/' line before this CREATE");
                    emit(file, start, buf, true, defineOn, out);
                    buf = new StringBuilder(); start = i + 1;
                }
                buf.append(line).append('\n');
            } else {
                if (t.equals("/")) { emit(file, start, buf, false, defineOn, out); buf = null; continue; }
                buf.append(line).append('\n');
                if (codeEndsWithSemicolon(line)) { emit(file, start, buf, false, defineOn, out); buf = null; }
            }
        }
        if (buf != null && buf.toString().trim().length() > 0) {
            if (plsql) report("sqlplus-terminator", "unit never executed", probe, start,
                "the PL/SQL unit from line " + start + " has no '/' line: SQL*Plus never runs it");
            emit(file, start, buf, plsql, defineOn, out);
        }
        visiting.remove(file);
        if (via == null && installPolicy) checkInstallScript(file, lines, probe);
        return defineOn;
    }

    /** A script that loads PL/SQL sources must stop on errors and fail when anything is left INVALID. */
    static void checkInstallScript(Path file, List<String> lines, Unit probe) {
        String text = String.join("\n", lines).toLowerCase();
        int lastInclude = -1, firstInclude = -1;
        for (int i = 0; i < lines.size(); i++) {
            String t = lines.get(i).trim().toLowerCase();
            if (t.startsWith("@") ) { if (firstInclude < 0) firstInclude = i; lastInclude = i; }
        }
        if (lastInclude < 0 || !text.matches("(?s).*@@?[\\w./-]*\\.(pks|pkb).*") && !text.matches("(?s).*@@?&.*")) return;
        if (!text.matches("(?s).*whenever\\s+sqlerror\\s+exit\\s+(failure|sql\\.sqlcode|[1-9]).*"))
            report("install-check", "exit 0 after a failed statement", probe, 1, file.getFileName() + " loads PL/SQL without WHENEVER SQLERROR EXIT FAILURE");
        String after = String.join("\n", lines.subList(lastInclude, lines.size())).toLowerCase();
        if (!(after.contains("user_objects") && after.contains("'invalid'") && after.contains("raise_application_error") && after.contains("user_errors")))
            report("install-check", "exit 0 with INVALID objects (CREATE ... with compilation errors is only a warning)", probe, lastInclude + 1,
                file.getFileName() + ": after the last include, no block prints USER_ERRORS and raises when USER_OBJECTS has an INVALID object");
        String before = String.join("\n", lines.subList(0, firstInclude)).toLowerCase();
        if (before.contains("create or replace library") || text.contains("create library") || text.contains("create or replace library")) {
            if (!before.contains("session_privs"))
                report("install-check", "ORA-01031 half way through the install", probe, firstInclude + 1,
                    file.getFileName() + " does not check SESSION_PRIVS (CREATE LIBRARY ...) before it starts");
        }
    }
    static String prevCode(StringBuilder b) {
        String s = b.toString().replaceAll("--[^\n]*", "");
        return s.trim().isEmpty() ? "" : s.trim();
    }
    static boolean codeEndsWithSemicolon(String line) {
        String s = line.replaceAll("'[^']*'", "''").replaceAll("--.*$", "").trim();
        return s.endsWith(";");
    }
    static void emit(Path file, int start, StringBuilder buf, boolean plsql, boolean defineOn, List<Unit> out) {
        Unit u = new Unit(); u.file = file; u.line = start; u.plsql = plsql; u.defineOn = defineOn; u.ordered = ordered;
        String text = buf.toString();
        if (defineOn) {
            // SQL*Plus replaces &name (a '.' ends the name) before the server sees the text.
            StringBuffer sb = new StringBuffer();
            Matcher m = Pattern.compile("&&?([A-Za-z0-9_]+)\\.?").matcher(text);
            while (m.find()) {
                String v = m.group(1).toLowerCase(), val = null;
                if (v.matches("[0-9]+") && !ARGS.isEmpty() && Integer.parseInt(v) <= ARGS.peek().size()) val = ARGS.peek().get(Integer.parseInt(v) - 1);
                else if (defineValues.containsKey(v)) val = defineValues.get(v);
                if (val == null) { u.unknownSubst = true; val = "subst_" + v; }
                m.appendReplacement(sb, Matcher.quoteReplacement(val));
            }
            m.appendTail(sb);
            text = sb.toString();
        }
        u.text = text;
        Matcher m = UNIT_NAME.matcher(u.text.trim());
        if (m.matches()) { u.kind = m.group(1).toLowerCase().replaceAll("\\s+", " "); u.name = m.group(2).toLowerCase(); }
        out.add(u);
    }

    // ------------------------------------------------------------ parsing
    static void parse(Unit u) {
        String text = u.text;
        if (!u.plsql) text = text.replaceAll(";\\s*$", "");
        // SQL*Plus substitution variables would be replaced before the server sees the text.
        PlSqlLexer lexer = new PlSqlLexer(CharStreams.fromString(text));
        lexer.removeErrorListeners();
        List<String> errors = new ArrayList<>();
        BaseErrorListener listen = new BaseErrorListener() {
            @Override public void syntaxError(Recognizer<?, ?> r, Object o, int line, int col, String msg, RecognitionException e) {
                errors.add(line + ":" + msg);
            }
        };
        lexer.addErrorListener(listen);
        CommonTokenStream tokens = new CommonTokenStream(lexer);
        PlSqlParser parser = new PlSqlParser(tokens);
        parser.removeErrorListeners();
        parser.getInterpreter().setPredictionMode(PredictionMode.SLL);
        parser.setErrorHandler(new BailErrorStrategy());
        ParserRuleContext tree;
        try {
            tree = parser.sql_script();
        } catch (ParseCancellationException ex) {
            tokens.seek(0);
            parser.reset();
            parser.setErrorHandler(new DefaultErrorStrategy());
            parser.addErrorListener(listen);
            parser.getInterpreter().setPredictionMode(PredictionMode.LL);
            tree = parser.sql_script();
        }
        if (u.unknownSubst && !errors.isEmpty()) { unparsedSubst++; errors.clear(); u.tree = null; return; }
        if (gapsApart && !errors.isEmpty()) {
            // Counted apart: the grammar rejects text Oracle accepts (calibration on others' code).
            grammarGapUnits++;
            if (!quietGaps) System.out.println("grammar gap: " + u.file + ":" + u.line + ": " + errors.get(0));
            u.tree = null; return;
        }
        for (String e : errors) {
            int colon = e.indexOf(':');
            report("syntax", "PLS-00103 / ORA-00900", u, Integer.parseInt(e.substring(0, colon)), e.substring(colon + 1));
        }
        u.tree = tree; u.tokens = tokens;
    }

    // ------------------------------------------------------------ tree helpers
    static <T extends ParseTree> List<T> all(ParseTree t, Class<T> c) {
        List<T> out = new ArrayList<>();
        collect(t, c, out);
        return out;
    }
    static <T extends ParseTree> void collect(ParseTree t, Class<T> c, List<T> out) {
        if (c.isInstance(t)) out.add(c.cast(t));
        for (int i = 0; i < t.getChildCount(); i++) collect(t.getChild(i), c, out);
    }
    static int line(ParserRuleContext c) { return c.getStart().getLine(); }
    static String id(ParseTree t) {
        String s = t.getText();
        if (s.startsWith("\"") && s.endsWith("\"")) return s.substring(1, s.length() - 1);
        return s.toLowerCase();
    }
    static boolean inside(ParseTree t, Class<?> c) {
        for (ParseTree p = t.getParent(); p != null; p = p.getParent()) if (c.isInstance(p)) return true;
        return false;
    }
    static ParserRuleContext sqlAncestor(ParseTree t) {
        for (ParseTree p = t.getParent(); p != null; p = p.getParent()) {
            if (p instanceof PlSqlParser.Data_manipulation_language_statementsContext
                || p instanceof PlSqlParser.Select_statementContext
                || p instanceof PlSqlParser.Cursor_declarationContext) return (ParserRuleContext) p;
            if (p instanceof PlSqlParser.Execute_immediateContext) return null;
        }
        return null;
    }

    // ------------------------------------------------------------ declarations
    static List<Param> params(List<PlSqlParser.ParameterContext> ps) {
        List<Param> out = new ArrayList<>();
        for (PlSqlParser.ParameterContext p : ps) {
            Param q = new Param();
            q.name = id(p.parameter_name());
            StringBuilder mode = new StringBuilder();
            if (!p.IN().isEmpty()) mode.append("in");
            if (!p.OUT().isEmpty()) mode.append("out");
            if (!p.INOUT().isEmpty()) mode.append("inout");
            q.mode = mode.length() == 0 ? "in" : mode.toString();
            q.hasDefault = p.default_value_part() != null;
            q.type = p.type_spec() == null ? "" : p.type_spec().getText().toLowerCase();
            out.add(q);
        }
        return out;
    }
    static Sub sub(ParserRuleContext c) {
        Sub s = new Sub();
        if (c instanceof PlSqlParser.Procedure_specContext) { var x = (PlSqlParser.Procedure_specContext) c; s.name = id(x.identifier()); s.params = params(x.parameter()); }
        else if (c instanceof PlSqlParser.Function_specContext) { var x = (PlSqlParser.Function_specContext) c; s.name = id(x.identifier()); s.params = params(x.parameter()); s.function = true; s.returns = x.type_spec().getText().toLowerCase(); }
        else if (c instanceof PlSqlParser.Procedure_bodyContext) { var x = (PlSqlParser.Procedure_bodyContext) c; s.name = id(x.identifier()); s.params = params(x.parameter()); }
        else if (c instanceof PlSqlParser.Function_bodyContext) { var x = (PlSqlParser.Function_bodyContext) c; s.name = id(x.identifier()); s.params = params(x.parameter()); s.function = true; s.returns = x.type_spec().getText().toLowerCase(); }
        else return null;
        return s;
    }
    static void addSub(Pkg p, Sub s) {
        List<Sub> l = p.subs.computeIfAbsent(s.name, k -> new ArrayList<>());
        for (Sub o : l) if (sameShape(o, s)) {
            o.inSpec |= s.inSpec;
            // spec and body (or overloads with the same names): keep only what they agree on
            for (int i = 0; i < o.params.size(); i++) {
                Param a = o.params.get(i), b = s.params.get(i);
                if (!a.type.equals(b.type)) a.type = "";
                if (!a.mode.equals(b.mode)) a.mode = "in";
            }
            return;
        }
        l.add(s);
    }
    static boolean sameShape(Sub a, Sub b) {
        if (a.function != b.function || a.params.size() != b.params.size()) return false;
        for (int i = 0; i < a.params.size(); i++) if (!a.params.get(i).name.equals(b.params.get(i).name)) return false;
        return true;
    }
    static void register(Unit u, int order) {
        if (u.tree == null) return;
        for (var cp : all(u.tree, PlSqlParser.Create_packageContext.class)) {
            Pkg p = pkgs.computeIfAbsent(id(cp.package_name(0)), k -> new Pkg());
            p.name = id(cp.package_name(0)); p.order = order;
            for (var o : cp.package_obj_spec()) {
                if (o.procedure_spec() != null || o.function_spec() != null) {
                    Sub s = sub(o.procedure_spec() != null ? o.procedure_spec() : o.function_spec()); s.inSpec = true; addSub(p, s);
                } else if (o.variable_declaration() != null) p.vars.put(id(o.variable_declaration().identifier()), o.variable_declaration().type_spec().getText().toLowerCase());
                else if (o.exception_declaration() != null) p.vars.put(id(o.exception_declaration().identifier()), "exception");
                else if (o.type_declaration() != null) p.types.add(id(o.type_declaration().identifier()));
                else if (o.subtype_declaration() != null) p.types.add(id(o.subtype_declaration().identifier()));
                else if (o.cursor_declaration() != null) p.vars.put(id(o.cursor_declaration().identifier()), "cursor");
            }
            if (objectOrder.putIfAbsent(p.name, order) == null) orderedUnit.put(p.name, u.ordered);
        }
        for (var cb : all(u.tree, PlSqlParser.Create_package_bodyContext.class)) {
            Pkg p = pkgs.computeIfAbsent(id(cb.package_name(0)), k -> new Pkg());
            if (p.name == null) p.name = id(cb.package_name(0));
            for (var o : cb.package_obj_body()) {
                ParserRuleContext c = o.procedure_body() != null ? o.procedure_body() : o.function_body() != null ? o.function_body()
                    : o.procedure_spec() != null ? o.procedure_spec() : o.function_spec();
                if (c != null) addSub(p, sub(c));
            }
        }
        if (!u.name.isEmpty() && !u.kind.equals("package body") && !u.kind.equals("type body")) objectOrder.putIfAbsent(u.name, order);
        // Objects created by dynamic SQL (EXECUTE IMMEDIATE 'create ...'), e.g. under conditional compilation.
        for (Matcher m = Pattern.compile("(?i)execute\\s+immediate\\s+(?:q'\\[|')\\s*create\\s+(?:or\\s+replace\\s+)?(?:type|package|table|view|synonym|sequence|procedure|function)\\s+(?:\\w+\\.)?\"?(\\w+)").matcher(u.text); m.find(); )
            objectOrder.putIfAbsent(m.group(1).toLowerCase(), order);
        if (u.kind.equals("table")) for (var cd : all(u.tree, PlSqlParser.Column_definitionContext.class)) columns.add(id(cd.column_name()));
    }

    /** Type of a name visible at node t (parameter, local, package member), or null. */
    static String lookup(ParseTree t, String name, String pkg) {
        for (ParseTree p = t.getParent(); p != null; p = p.getParent()) {
            List<PlSqlParser.ParameterContext> ps = null; List<ParseTree> decls = new ArrayList<>();
            if (p instanceof PlSqlParser.Function_bodyContext) { ps = ((PlSqlParser.Function_bodyContext) p).parameter(); addDecls(((PlSqlParser.Function_bodyContext) p).seq_of_declare_specs(), decls); }
            else if (p instanceof PlSqlParser.Procedure_bodyContext) { ps = ((PlSqlParser.Procedure_bodyContext) p).parameter(); addDecls(((PlSqlParser.Procedure_bodyContext) p).seq_of_declare_specs(), decls); }
            else if (p instanceof PlSqlParser.Create_function_bodyContext) { ps = ((PlSqlParser.Create_function_bodyContext) p).parameter(); addDecls(((PlSqlParser.Create_function_bodyContext) p).seq_of_declare_specs(), decls); }
            else if (p instanceof PlSqlParser.Create_procedure_bodyContext) { ps = ((PlSqlParser.Create_procedure_bodyContext) p).parameter(); addDecls(((PlSqlParser.Create_procedure_bodyContext) p).seq_of_declare_specs(), decls); }
            else if (p instanceof PlSqlParser.Anonymous_blockContext) addDecls(((PlSqlParser.Anonymous_blockContext) p).seq_of_declare_specs(), decls);
            else if (p instanceof PlSqlParser.BlockContext) for (var d : ((PlSqlParser.BlockContext) p).declare_spec()) decls.add(d.getChild(0));
            else if (p instanceof PlSqlParser.Create_package_bodyContext) for (var d : ((PlSqlParser.Create_package_bodyContext) p).package_obj_body()) decls.add(d.getChild(0));
            else if (p instanceof PlSqlParser.Loop_statementContext) {
                var lp = ((PlSqlParser.Loop_statementContext) p).cursor_loop_param();
                if (lp != null && lp.index_name() != null && id(lp.index_name()).equals(name)) return "pls_integer";
                if (lp != null && lp.record_name() != null && id(lp.record_name()).equals(name)) return "record";
            }
            if (ps != null) for (var q : ps) if (id(q.parameter_name()).equals(name)) return q.type_spec() == null ? "" : q.type_spec().getText().toLowerCase();
            for (ParseTree d : decls) {
                if (d instanceof PlSqlParser.Variable_declarationContext && id(((PlSqlParser.Variable_declarationContext) d).identifier()).equals(name))
                    return ((PlSqlParser.Variable_declarationContext) d).type_spec().getText().toLowerCase();
                if (d instanceof PlSqlParser.Cursor_declarationContext && id(((PlSqlParser.Cursor_declarationContext) d).identifier()).equals(name)) return "cursor";
                if (d instanceof PlSqlParser.Exception_declarationContext && id(((PlSqlParser.Exception_declarationContext) d).identifier()).equals(name)) return "exception";
                if (d instanceof PlSqlParser.Function_bodyContext && id(((PlSqlParser.Function_bodyContext) d).identifier()).equals(name)) return "function";
                if (d instanceof PlSqlParser.Procedure_bodyContext && id(((PlSqlParser.Procedure_bodyContext) d).identifier()).equals(name)) return "procedure";
                if (d instanceof PlSqlParser.Function_specContext && id(((PlSqlParser.Function_specContext) d).identifier()).equals(name)) return "function";
                if (d instanceof PlSqlParser.Procedure_specContext && id(((PlSqlParser.Procedure_specContext) d).identifier()).equals(name)) return "procedure";
            }
        }
        Pkg p = pkg == null ? null : pkgs.get(pkg);
        if (p != null && p.vars.containsKey(name)) return p.vars.get(name);
        if (p != null && p.subs.containsKey(name)) return p.subs.get(name).get(0).function ? "function" : "procedure";
        return null;
    }
    static void addDecls(PlSqlParser.Seq_of_declare_specsContext s, List<ParseTree> out) {
        if (s != null) for (var d : s.declare_spec()) out.add(d.getChild(0));
    }
    static String unitPackage(ParseTree t) {
        for (ParseTree p = t; p != null; p = p.getParent()) {
            if (p instanceof PlSqlParser.Create_package_bodyContext) return id(((PlSqlParser.Create_package_bodyContext) p).package_name(0));
            if (p instanceof PlSqlParser.Create_packageContext) return id(((PlSqlParser.Create_packageContext) p).package_name(0));
        }
        return null;
    }
    static boolean isBoolean(String type) { return type != null && type.equals("boolean"); }

    // ------------------------------------------------------------ rules
    static void check(Unit u, int order, double minRelease) {
        if (u.tree == null) return;
        inactiveLines = inactiveLines(u);
        try { checkActive(u, order, minRelease); } finally { inactiveLines = null; }
    }

    // ------------------------------------------------------------ conditional compilation
    /** Lines of the unit (unit-relative) whose every token lies in a $IF branch
     * that the current release does not compile. Only conditions on
     * DBMS_DB_VERSION (VERSION, RELEASE, VER_LE_x[_y]) joined by AND/OR/NOT are
     * evaluated; a branch chain with any other condition is taken as compiled. */
    static Set<Integer> inactiveLines;
    static Set<Integer> inactiveLines(Unit u) {
        List<Token> tks = new ArrayList<>();
        for (Token t : u.tokens.getTokens()) if (t.getChannel() == Token.DEFAULT_CHANNEL && t.getType() != Token.EOF) tks.add(t);
        boolean[] off = new boolean[tks.size()];
        final int SEARCH = 0, TAKEN = 1, UNKNOWN = 2;
        // frame: {mode, off (0/1), parent off (0/1)}
        java.util.ArrayDeque<int[]> stack = new java.util.ArrayDeque<>();
        boolean any = false;
        for (int i = 0; i < tks.size(); i++) {
            int ty = tks.get(i).getType();
            if (ty == PlSqlLexer.DOLLAR_IF || ty == PlSqlLexer.DOLLAR_ELSIF) {
                int j = i + 1;
                StringBuilder c = new StringBuilder();
                while (j < tks.size() && tks.get(j).getType() != PlSqlLexer.DOLLAR_THEN) c.append(tks.get(j++).getText().toLowerCase()).append(' ');
                Boolean v = evalVersionCondition(c.toString());
                if (ty == PlSqlLexer.DOLLAR_IF) {
                    int parentOff = !stack.isEmpty() && stack.peek()[1] == 1 ? 1 : 0;
                    int[] f = parentOff == 1 ? new int[] {TAKEN, 1, 1}
                        : v == null ? new int[] {UNKNOWN, 0, 0} : v ? new int[] {TAKEN, 0, 0} : new int[] {SEARCH, 1, 0};
                    stack.push(f);
                } else if (!stack.isEmpty()) {
                    int[] f = stack.peek();
                    if (f[2] == 1 || f[0] == TAKEN) f[1] = 1;
                    else if (f[0] == UNKNOWN) f[1] = 0;
                    else if (v == null) { f[0] = UNKNOWN; f[1] = 0; }
                    else if (v) { f[0] = TAKEN; f[1] = 0; }
                    else f[1] = 1;
                }
                i = j;
                continue;
            }
            if (ty == PlSqlLexer.DOLLAR_ELSE && !stack.isEmpty()) {
                int[] f = stack.peek();
                if (f[2] == 1 || f[0] == TAKEN) f[1] = 1;
                else if (f[0] == UNKNOWN) f[1] = 0;
                else { f[0] = TAKEN; f[1] = 0; }
                continue;
            }
            if (ty == PlSqlLexer.DOLLAR_END && !stack.isEmpty()) { stack.pop(); continue; }
            if (!stack.isEmpty() && stack.peek()[1] == 1) { off[i] = true; any = true; }
        }
        if (!any) return null;
        Map<Integer, Boolean> lines = new HashMap<>();
        for (int i = 0; i < tks.size(); i++) lines.merge(tks.get(i).getLine(), off[i], (x, y) -> x && y);
        Set<Integer> out = new HashSet<>();
        lines.forEach((l, o) -> { if (o) out.add(l); });
        return out;
    }
    /** Evaluates a $IF condition on DBMS_DB_VERSION for the current release,
     * or null when it names anything else. Grammar: or-expr of and-terms of
     * [NOT] factors; a factor is a parenthesised expression or a comparison
     * of DBMS_DB_VERSION.VERSION/RELEASE with a number, or VER_LE_x[_y]. */
    static Boolean evalVersionCondition(String c) {
        String t = c.replaceAll("\\s+", " ").replace(" . ", ".").replace("> =", ">=").replace("< =", "<=")
            .replace("! =", "!=").replace("< >", "<>").trim();
        List<String> toks = new ArrayList<>();
        Matcher m = Pattern.compile("\\(|\\)|>=|<=|!=|<>|>|<|=|[a-z_][a-z0-9_$#.]*|[0-9]+").matcher(t);
        int at = 0;
        while (m.find()) {
            if (!t.substring(at, m.start()).isBlank()) return null;
            toks.add(m.group()); at = m.end();
        }
        if (!t.substring(at).isBlank()) return null;
        int[] pos = {0};
        try {
            Boolean v = condOr(toks, pos);
            return pos[0] == toks.size() ? v : null;
        } catch (RuntimeException e) {
            return null;
        }
    }
    static Boolean condOr(List<String> t, int[] p) {
        Boolean v = condAnd(t, p);
        while (v != null && p[0] < t.size() && t.get(p[0]).equals("or")) { p[0]++; Boolean w = condAnd(t, p); v = w == null ? null : (v || w); }
        return v;
    }
    static Boolean condAnd(List<String> t, int[] p) {
        Boolean v = condNot(t, p);
        while (v != null && p[0] < t.size() && t.get(p[0]).equals("and")) { p[0]++; Boolean w = condNot(t, p); v = w == null ? null : (v && w); }
        return v;
    }
    static Boolean condNot(List<String> t, int[] p) {
        if (t.get(p[0]).equals("not")) { p[0]++; Boolean v = condNot(t, p); return v == null ? null : !v; }
        if (t.get(p[0]).equals("(")) {
            p[0]++;
            Boolean v = condOr(t, p);
            if (v == null || !t.get(p[0]).equals(")")) return null;
            p[0]++;
            return v;
        }
        int ver = (int) Math.floor(release);
        int rel = (int) Math.round((release - ver) * 10);
        String a = t.get(p[0]++);
        Matcher le = Pattern.compile("^dbms_db_version\\.ver_le_([0-9]+)(?:_([0-9]+))?$").matcher(a);
        if (le.matches()) {
            int x = Integer.parseInt(le.group(1));
            return le.group(2) == null ? ver <= x : (ver < x || (ver == x && rel <= Integer.parseInt(le.group(2))));
        }
        if (!a.equals("dbms_db_version.version") && !a.equals("dbms_db_version.release")) return null;
        String op = t.get(p[0]++), n = t.get(p[0]++);
        if (!n.matches("[0-9]+")) return null;
        int lhs = a.endsWith("version") ? ver : rel, rhs = Integer.parseInt(n);
        switch (op) {
            case ">=": return lhs >= rhs;
            case "<=": return lhs <= rhs;
            case ">": return lhs > rhs;
            case "<": return lhs < rhs;
            case "=": return lhs == rhs;
            case "!=": case "<>": return lhs != rhs;
            default: return null;
        }
    }

    static void checkActive(Unit u, int order, double minRelease) {
        int maxId = release < 12.2 ? 30 : 128;
        // identifier length: ORA-00972 / PLS-00114
        for (Token tk : u.tokens.getTokens()) {
            if (tk.getChannel() != Token.DEFAULT_CHANNEL) continue;
            String s = tk.getText();
            Catalogue.Entry kw = catalogue.get(s.toLowerCase());
            if (kw != null && tk.getType() != PlSqlLexer.REGULAR_ID && tk.getType() != PlSqlLexer.DELIMITED_ID
                    && kw.since > release && !objectOrder.containsKey(s.toLowerCase()))
                report("release", "ORA-00904 / PLS-00201 (not in this release)", u, tk.getLine(),
                    s + " exists from Oracle " + rel(kw.since) + "; the file's stated minimum is " + rel(minRelease));
            if (tk.getType() == PlSqlLexer.DELIMITED_ID) s = s.substring(1, s.length() - 1);
            else if (tk.getType() != PlSqlLexer.REGULAR_ID) continue;
            int bytes = s.getBytes(StandardCharsets.UTF_8).length;
            if (u.unknownSubst && s.toLowerCase().contains("subst_")) continue;
            if (bytes > maxId) report("identifier-length", "ORA-00972 / PLS-00114 (identifier too long)", u, tk.getLine(),
                s + " is " + bytes + " bytes; release " + rel(release) + " allows " + maxId);
            // release of built-ins named by the token
            Catalogue.Entry e = catalogue.get(s.toLowerCase());
            if (e != null && e.since > release && !objectOrder.containsKey(s.toLowerCase())) report("release", "PLS-00201 / ORA-00904 (not in this release)", u, tk.getLine(),
                s + " exists from Oracle " + rel(e.since) + "; the file's stated minimum is " + rel(minRelease));
        }
        for (var cs : all(u.tree, PlSqlParser.C_specContext.class)) {
            if (cs.id_expression() != null) {
                String n = id(cs.id_expression());
                int bytes = n.getBytes(StandardCharsets.UTF_8).length;
                if (bytes > maxId) report("identifier-length", "PLS-00114 (external NAME too long)", u, line(cs),
                    "external NAME " + n + " is " + bytes + " bytes; release " + rel(release) + " allows " + maxId);
            }
        }
        // SQL-context rules
        for (var ge : all(u.tree, PlSqlParser.General_elementContext.class)) checkElement(u, ge);
        for (TerminalNode tn : all(u.tree, TerminalNode.class)) {
            int ty = tn.getSymbol().getType();
            if ((ty == PlSqlLexer.TRUE || ty == PlSqlLexer.FALSE) && release < 23 && sqlAncestor(tn) != null && u.plsql)
                report("sql-boolean", "ORA-00904 / PLS-00382 (BOOLEAN in SQL before 23ai)", u, tn.getSymbol().getLine(),
                    tn.getText() + " is a PL/SQL BOOLEAN literal inside a SQL statement");
        }
        // calls as statements
        for (var cs : all(u.tree, PlSqlParser.Call_statementContext.class)) {
            List<String> parts = new ArrayList<>();
            for (var rn : cs.routine_name()) { parts.add(id(rn.identifier())); for (var x : rn.id_expression()) parts.add(id(x)); }
            PlSqlParser.Function_argumentContext fa = cs.function_argument().isEmpty() ? null : cs.function_argument(0);
            String cpkg = unitPackage(cs);
            if (parts.size() == 1 && cpkg != null && pkgs.get(cpkg) != null && pkgs.get(cpkg).subs.containsKey(parts.get(0))
                && "procedure function".contains(String.valueOf(lookup(cs, parts.get(0), cpkg))) && !lookupLocalSub(cs, parts.get(0)))
                checkArgs(u, cs, cpkg + "." + parts.get(0), pkgs.get(cpkg).subs.get(parts.get(0)), fa, false); // a package-local procedure
            else checkCall(u, cs, parts, fa, false);
        }
        // DBMS_LOB amounts (as expressions or as call statements)
        for (var ge : all(u.tree, PlSqlParser.General_elementContext.class)) {
            List<PlSqlParser.General_element_partContext> parts = flat(ge);
            if (parts.size() != 2 || parts.get(1).function_argument().isEmpty()) continue;
            checkLob(u, ge, id(parts.get(0).id_expression()), id(parts.get(1).id_expression()), parts.get(1).function_argument(0));
        }
        for (var cs : all(u.tree, PlSqlParser.Call_statementContext.class)) {
            if (cs.routine_name().size() != 1 || cs.function_argument().isEmpty()) continue;
            var rn = cs.routine_name(0);
            if (rn.id_expression().size() != 1) continue;
            checkLob(u, cs, id(rn.identifier()), id(rn.id_expression(0)), cs.function_argument(0));
        }
    }
    static void checkLob(Unit u, ParserRuleContext at, String pkg, String m, PlSqlParser.Function_argumentContext fa) {
        if (pkg.equals("dbms_lob") && (m.equals("substr") || m.equals("read"))) { checkLobStep(u, at, m, fa); return; }
        if (!pkg.equals("dbms_lob") || !(m.equals("writeappend") || m.equals("write"))) return;
        var args = fa.argument();
        if (args.size() < 2) return;
        String lob = args.get(0).getText().toLowerCase();
        String lobType = lookup(at, lob, unitPackage(at));
        String amount = args.get(1).getText().toLowerCase();
        Matcher mm = Pattern.compile("^(length|lengthc|length4|lengthb|length2)\\(").matcher(amount);
        if (!mm.find()) return;
        String fn = mm.group(1);
        boolean blob = lobType != null && lobType.contains("blob");
        if (!blob && !fn.equals("length2"))
            report("lob-amount", "ORA-06502/ORA-22921 or silent truncation (CLOB amounts are UCS-2 code units)", u, line(at),
                "DBMS_LOB." + m.toUpperCase() + " on a CLOB counts UCS-2 code units (a character outside the BMP is 2); "
                + fn.toUpperCase() + "() miscounts them: use LENGTH2()");
        if (blob) report("lob-amount", "ORA-21560 (BLOB amounts are bytes)", u, line(at),
            "DBMS_LOB." + m.toUpperCase() + " on a BLOB counts bytes: use UTL_RAW.LENGTH()");
    }
    // lob-step: DBMS_LOB.SUBSTR / READ walking a CLOB in fixed steps (inside a
    // loop, offset := offset + amount). CLOB offsets and amounts count UCS-2
    // code units, so a step edge can fall between the two halves of a
    // character outside the BMP (an emoji): the piece ends in half a
    // character and the text is corrupted without any error to catch.
    // Offsets found by INSTR or a whole-CLOB read (offset 1) are not steps.
    static void checkLobStep(Unit u, ParserRuleContext at, String m, PlSqlParser.Function_argumentContext fa) {
        var args = fa.argument();
        if (args.size() < 3) return;
        String lob = args.get(0).getText().toLowerCase();
        String lobType = lookup(at, lob, unitPackage(at));
        if (lobType == null || !lobType.contains("clob")) return;
        String amount = args.get(1).getText().toLowerCase().replaceAll("\\s+", "");
        String offset = args.get(2).getText().toLowerCase().replaceAll("\\s+", "");
        if (!offset.matches("[a-z_][a-z0-9_$#]*")) return;
        for (ParseTree p = at.getParent(); p != null; p = p.getParent()) {
            if (!(p instanceof PlSqlParser.Loop_statementContext)) continue;
            for (var as : all(p, PlSqlParser.Assignment_statementContext.class)) {
                if (as.general_element() == null) continue;
                String target = as.general_element().getText().toLowerCase();
                String value = as.expression().getText().toLowerCase().replaceAll("\\s+", "");
                if (target.equals(offset) && (value.equals(offset + "+" + amount) || value.equals(amount + "+" + offset))) {
                    report("lob-step", "no error: a character outside the BMP cut in two (CLOB offsets and amounts are UCS-2 code units)", u, line(at),
                        "DBMS_LOB." + m.toUpperCase() + " walks the CLOB " + lob + " in steps of " + amount
                        + " UCS-2 code units; a step edge can split a surrogate pair: convert to a BLOB (DBMS_LOB.CONVERTTOBLOB) and cut at UTF-8 character boundaries");
                    return;
                }
            }
        }
    }
    static List<PlSqlParser.General_element_partContext> flat(PlSqlParser.General_elementContext ge) {
        List<PlSqlParser.General_element_partContext> out = new ArrayList<>();
        if (ge.general_element() != null) out.addAll(flat(ge.general_element()));
        out.addAll(ge.general_element_part());
        return out;
    }

    static void checkElement(Unit u, PlSqlParser.General_elementContext ge) {
        if (ge.getParent() instanceof PlSqlParser.General_elementContext) return; // handled at the outermost element
        List<PlSqlParser.General_element_partContext> parts = flat(ge);
        if (parts.isEmpty()) return;
        String first = id(parts.get(0).id_expression());
        String pkg = unitPackage(ge);
        ParserRuleContext sql = u.plsql ? sqlAncestor(ge) : null;
        if (sql != null) {
            if (first.equals("sqlerrm") || first.equals("sqlcode"))
                report("sql-plsql-only", "PLS-00231 / ORA-00904 (SQLERRM, SQLCODE only in PL/SQL)", u, line(ge),
                    first.toUpperCase() + " inside a SQL statement: assign it to a variable first");
            if (parts.size() == 1 && !columns.contains(first)) {
                String type = lookup(ge, first, pkg);
                if (release < 23 && isBoolean(type))
                    report("sql-boolean", "PLS-00382 / ORA-00904 (BOOLEAN in SQL before 23ai)", u, line(ge),
                        first + " is a PL/SQL BOOLEAN inside a SQL statement");
                if ("function".equals(type) && pkg != null) {
                    Pkg p = pkgs.get(pkg);
                    List<Sub> subs = p == null ? null : p.subs.get(first);
                    boolean inSpec = subs != null && subs.stream().anyMatch(s -> s.inSpec);
                    boolean local = lookupLocalSub(ge, first);
                    if (local || !inSpec)
                        report("sql-plsql-only", "PLS-00231 (function may not be used in SQL)", u, line(ge),
                            first + " is declared only in the body (private or local) and is called from SQL");
                    if (subs != null && release < 23 && subs.stream().anyMatch(s -> isBoolean(s.returns) || s.params.stream().anyMatch(q -> isBoolean(q.type))))
                        report("sql-boolean", "ORA-06553 PLS-00382 (BOOLEAN in SQL before 23ai)", u, line(ge),
                            first + " takes or returns BOOLEAN and is called from SQL");
                }
            }
            if (parts.size() == 2 && pkgs.containsKey(first) && release < 23) {
                List<Sub> subs = pkgs.get(first).subs.get(id(parts.get(1).id_expression()));
                if (subs != null && subs.stream().allMatch(s -> isBoolean(s.returns) || s.params.stream().anyMatch(q -> isBoolean(q.type) && !q.hasDefault)))
                    report("sql-boolean", "ORA-06553 PLS-00382 (BOOLEAN in SQL before 23ai)", u, line(ge),
                        first + "." + id(parts.get(1).id_expression()) + " takes or returns BOOLEAN and is called from SQL");
            }
            return;
        }
        if (!u.plsql) return;
        // Qualified references: package.member(args)
        if (parts.size() >= 2) {
            if (lookup(ge, first, pkg) != null) return; // a variable, record or object: members not checked
            List<String> names = new ArrayList<>();
            for (var p : parts) names.add(id(p.id_expression()));
            PlSqlParser.Function_argumentContext fa = parts.get(1).function_argument().isEmpty() ? null : parts.get(1).function_argument(0);
            boolean assignTarget = ge.getParent() instanceof PlSqlParser.Assignment_statementContext && ((PlSqlParser.Assignment_statementContext) ge.getParent()).general_element() == ge;
            checkCall(u, ge, names, fa, !assignTarget);
        } else if (!parts.get(0).function_argument().isEmpty() && pkg != null) {
            String type = lookup(ge, first, pkg);
            if ("function".equals(type) || "procedure".equals(type)) {
                Pkg p = pkgs.get(pkg);
                if (p != null && p.subs.containsKey(first) && !lookupLocalSub(ge, first))
                    checkArgs(u, ge, pkg + "." + first, p.subs.get(first), parts.get(0).function_argument(0), true);
            }
        }
    }
    static boolean lookupLocalSub(ParseTree t, String name) {
        for (ParseTree p = t.getParent(); p != null; p = p.getParent()) {
            PlSqlParser.Seq_of_declare_specsContext s = null;
            if (p instanceof PlSqlParser.Function_bodyContext) s = ((PlSqlParser.Function_bodyContext) p).seq_of_declare_specs();
            if (p instanceof PlSqlParser.Procedure_bodyContext) s = ((PlSqlParser.Procedure_bodyContext) p).seq_of_declare_specs();
            if (s != null) for (var d : s.declare_spec())
                if ((d.function_body() != null && id(d.function_body().identifier()).equals(name))
                    || (d.procedure_body() != null && id(d.procedure_body().identifier()).equals(name))) return true;
        }
        return false;
    }

    static void checkCall(Unit u, ParserRuleContext at, List<String> names, PlSqlParser.Function_argumentContext fa, boolean expression) {
        String first = names.get(0);
        if (names.size() < 2) return;
        if (first.equals("sys") && names.size() == 2) {
            if (!catalogue.containsKey(names.get(1))) uncatalogued.merge("sys." + names.get(1), 1, Integer::sum);
            return;
        }
        if (first.equals("sys") && names.size() >= 3) names = names.subList(1, names.size());
        first = names.get(0);
        String member = names.get(1);
        Pkg p = pkgs.get(first);
        if (p != null) {
            Integer o = objectOrder.get(first);
            if (o != null && o > currentOrder && u.ordered && orderedUnit.getOrDefault(first, false))
                report("include-order", "PLS-00201 / ORA-04063 (used before it is created)", u, line(at),
                    first + " is created later in the install order than this unit");
            if (p.vars.containsKey(member) || p.types.contains(member)) return;
            List<Sub> subs = p.subs.get(member);
            subs = subs == null ? null : subs.stream().filter(s -> s.inSpec).collect(java.util.stream.Collectors.toList());
            if (subs == null || subs.isEmpty()) {
                report("resolve", "PLS-00302 (component must be declared)", u, line(at), first + "." + member + " is not declared in the package spec");
                return;
            }
            checkArgs(u, at, first + "." + member, subs, fa, expression);
            return;
        }
        Catalogue.Entry pe = catalogue.get(first);
        if (pe != null && pe.kind.equals("package")) {
            Catalogue.Entry e = catalogue.get(first + "." + member);
            if (e == null) { uncatalogued.merge(first + "." + member, 1, Integer::sum); return; }
            if (e.since > release) report("release", "PLS-00302 (not in this release)", u, line(at), first + "." + member + " exists from Oracle " + rel(e.since));
            if (e.subs.isEmpty()) return;
            checkArgs(u, at, first + "." + member, e.subs, fa, expression);
            return;
        }
        if (objectOrder.containsKey(first) || (pe != null)) return;
        uncatalogued.merge(first + ".*", 1, Integer::sum);
    }
    static int currentOrder = 0;
    static final Map<String, Boolean> orderedUnit = new HashMap<>();

    static void checkArgs(Unit u, ParserRuleContext at, String name, List<Sub> subs, PlSqlParser.Function_argumentContext fa, boolean expression) {
        List<String> named = new ArrayList<>(); int positional = 0;
        if (fa != null) for (var a : fa.argument()) {
            if (a.identifier() != null) named.add(id(a.identifier())); else positional++;
        }
        boolean kindOk = false;
        String[] firstProblem = null;
        for (Sub s : subs) {
            if (s.function != expression) continue;
            kindOk = true;
            if (positional > s.params.size()) continue;
            boolean ok = true;
            Set<String> given = new HashSet<>();
            for (int i = 0; i < positional; i++) given.add(s.params.get(i).name);
            for (String n : named) {
                if (s.params.stream().noneMatch(q -> q.name.equals(n)) || !given.add(n)) { ok = false; break; }
            }
            for (Param q : s.params) if (!q.hasDefault && !given.contains(q.name)) ok = false;
            if (!ok) continue;
            String[] problem = argProblem(at, s, fa);
            if (problem == null) return;
            if (firstProblem == null) firstProblem = problem;
        }
        if (firstProblem != null) {
            report(firstProblem[0], firstProblem[1], u, line(at), name + ": " + firstProblem[2]);
            return;
        }
        if (!kindOk) {
            if (expression) report("call-kind", "PLS-00222 (no function with this name)", u, line(at), name + " is a procedure, used as a function");
            else report("call-kind", "PLS-00221 (not a procedure)", u, line(at), name + " is a function, called as a procedure");
            return;
        }
        report("call-signature", "PLS-00306 (wrong number or types of arguments)", u, line(at),
            name + " called with " + positional + " positional argument(s)" + (named.isEmpty() ? "" : " and " + named) + ": no overload matches");
    }

    // call-mode / call-type: each actual against its formal, for a call whose
    // count and names already match one overload. Returns {rule, ora, msg}
    // for the first certain mismatch, or null.
    static int modeChecks = 0, typeChecks = 0;
    static String[] argProblem(ParserRuleContext at, Sub s, PlSqlParser.Function_argumentContext fa) {
        if (fa == null) return null;
        int i = 0;
        for (var a : fa.argument()) {
            Param q = null;
            if (a.identifier() != null) { String n = id(a.identifier()); for (Param x : s.params) if (x.name.equals(n)) q = x; }
            else if (i < s.params.size()) q = s.params.get(i++);
            if (q == null || a.expression() == null) continue;
            String text = a.expression().getText();
            if (!q.mode.equals("in")) {
                modeChecks++;
                String why = notAssignable(at, a.expression());
                if (why != null) return new String[] {"call-mode", "PLS-00363 (expression cannot be used as an assignment target)",
                    text + " is " + why + ", passed to " + q.name + " which is " + (q.mode.equals("out") ? "OUT" : "IN OUT") + ": pass a variable"};
            }
            if (release >= 23) continue; // 23ai converts between BOOLEAN and numbers/strings in more places: not certain
            String formal = typeClass(q.type), actual = actualClass(at, a.expression());
            if (formal == null || actual == null) continue;
            typeChecks++;
            if (actual.equals("boolean") != formal.equals("boolean"))
                return new String[] {"call-type", "PLS-00306 (wrong number or types of arguments)",
                    text + " is " + CLASS_NAME.get(actual) + " but " + q.name + " is " + q.type.toUpperCase() + " (no implicit conversion to or from BOOLEAN)"};
        }
        return null;
    }
    static final Map<String, String> CLASS_NAME = Map.of("boolean", "BOOLEAN", "number", "a number", "char", "a character string",
        "date", "a date", "lob", "a LOB", "raw", "a RAW");
    /** The node an expression reduces to when it is a single atom (one child at each level). */
    static ParseTree core(ParseTree t) {
        while (t instanceof ParserRuleContext && t.getChildCount() == 1 && t.getChild(0) instanceof ParserRuleContext
            && !(t instanceof PlSqlParser.ConstantContext || t instanceof PlSqlParser.General_elementContext || t instanceof PlSqlParser.Standard_functionContext)) t = t.getChild(0);
        return t;
    }
    static boolean operatorNode(ParseTree t) {
        return t.getChildCount() > 1 && (t instanceof PlSqlParser.Logical_expressionContext || t instanceof PlSqlParser.Unary_logical_expressionContext
            || t instanceof PlSqlParser.Relational_expressionContext || t instanceof PlSqlParser.Compound_expressionContext
            || t instanceof PlSqlParser.ConcatenationContext || t instanceof PlSqlParser.Model_expressionContext
            || t instanceof PlSqlParser.Multiset_expressionContext);
    }
    /** Why an actual certainly cannot be an OUT / IN OUT target, or null (a variable, or not known). */
    static String notAssignable(ParserRuleContext at, ParseTree e) {
        ParseTree c = core(e);
        if (c instanceof PlSqlParser.ConstantContext) return "a literal";
        if (operatorNode(c) || c instanceof PlSqlParser.Case_expressionContext) return "an expression";
        if (c instanceof PlSqlParser.Standard_functionContext) return "a function call";
        if (c instanceof PlSqlParser.General_elementContext) {
            var ge = (PlSqlParser.General_elementContext) c;
            if (ge.getChildCount() > 0 && ge.getChild(0) instanceof TerminalNode) return null; // (x): leave it
            List<PlSqlParser.General_element_partContext> parts = flat(ge);
            String first = id(parts.get(0).id_expression());
            String pkg = unitPackage(at);
            String t = lookup(at, first, pkg);
            if (parts.size() == 1) return "function".equals(t) ? "a function call" : null;
            if (t != null) return null; // record field, collection element, object attribute
            if (parts.size() == 2) {
                String m = id(parts.get(1).id_expression());
                Pkg p = pkgs.get(first);
                if (p != null && p.subs.containsKey(m) && !p.vars.containsKey(m) && p.subs.get(m).stream().allMatch(x -> x.function)) return "a function call";
                Catalogue.Entry ce = catalogue.get(first + "." + m);
                if (p == null && ce != null && !ce.subs.isEmpty() && ce.subs.stream().allMatch(x -> x.function)) return "a function call";
            }
        }
        return null;
    }
    /** Type class of a declared type: number, char, date, lob, raw, boolean, or null (unknown: %TYPE, records, user types). */
    static String typeClass(String t) {
        if (t == null || t.isEmpty()) return null;
        t = t.toLowerCase();
        if (t.contains("%")) return null;
        if (t.equals("boolean")) return "boolean";
        if (t.matches("(number|integer|int|pls_integer|binary_integer|natural|naturaln|positive|positiven|signtype|simple_integer|float|binary_float|binary_double|decimal|dec|numeric|smallint|real)(\\(.*)?")) return "number";
        if (t.matches("(varchar2|varchar|nvarchar2|char|nchar|string|long)(\\(.*)?")) return "char";
        if (t.matches("(date|timestamp.*)")) return "date";
        if (t.matches("(clob|nclob|blob)")) return "lob";
        if (t.matches("raw(\\(.*)?")) return "raw";
        return null;
    }
    /** Type class of an actual when certain: a literal, a declared variable or parameter, a comparison. */
    static String actualClass(ParserRuleContext at, ParseTree e) {
        ParseTree c = core(e);
        if (c instanceof PlSqlParser.ConstantContext) {
            var k = (PlSqlParser.ConstantContext) c;
            if (k.TRUE() != null || k.FALSE() != null) return "boolean";
            if (k.numeric() != null) return "number";
            if (k.getChildCount() == 1 && k.quoted_string() != null
                && (k.getText().startsWith("'") || k.getText().toLowerCase().matches("^[nq]+'.*"))) return "char";
            return null;
        }
        if (c instanceof PlSqlParser.Logical_expressionContext && c.getChildCount() > 1) return "boolean";
        if (c instanceof PlSqlParser.Relational_expressionContext && c.getChildCount() > 1) return "boolean";
        if (c instanceof PlSqlParser.Unary_logical_expressionContext && c.getChildCount() > 1) return "boolean";
        if (c instanceof PlSqlParser.General_elementContext) {
            var parts = flat((PlSqlParser.General_elementContext) c);
            if (parts.size() != 1 || !parts.get(0).function_argument().isEmpty()) return null;
            String t = lookup(at, id(parts.get(0).id_expression()), unitPackage(at));
            return typeClass(t);
        }
        return null;
    }

    // ------------------------------------------------------------ fingerprint
    static String fingerprint(CommonTokenStream tokens, ParserRuleContext c) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (int i = c.getStart().getTokenIndex(); i <= c.getStop().getTokenIndex(); i++) {
            Token t = tokens.get(i);
            if (t.getChannel() != Token.DEFAULT_CHANNEL) continue;
            String s = t.getType() == PlSqlLexer.CHAR_STRING || t.getType() == PlSqlLexer.DELIMITED_ID ? t.getText() : t.getText().toLowerCase();
            md.update(s.getBytes(StandardCharsets.UTF_8)); md.update((byte) 0);
        }
        StringBuilder sb = new StringBuilder();
        for (byte b : md.digest()) sb.append(String.format("%02x", b));
        return sb.substring(0, 16);
    }

    static double minRelease(Path f) throws Exception {
        String head = String.join("\n", Files.readAllLines(f, StandardCharsets.UTF_8).stream().limit(60).toArray(String[]::new));
        Matcher m = Pattern.compile("(?i)minimum release:\\s*(?:oracle\\s*)?([0-9]+(?:\\.[0-9]+)?)").matcher(head);
        return m.find() ? Double.parseDouble(m.group(1)) : 11.2;
    }

    // ------------------------------------------------------------ main
    public static void main(String[] argv) throws Exception {
        List<Double> releases = new ArrayList<>(); List<Path> inputs = new ArrayList<>(); boolean fp = false; boolean quiet = false;
        for (int i = 0; i < argv.length; i++) {
            switch (argv[i]) {
                case "--release": releases.add(Double.parseDouble(argv[++i])); break;
                case "--strict": strict = true; break;
                case "--grammar-gaps-apart": gapsApart = true; break;
                case "--install-policy": installPolicy = true; break;
                case "--fingerprint": fp = true; break;
                case "--quiet": quiet = true; quietGaps = true; break;
                default: inputs.add(Paths.get(argv[i]));
            }
        }
        if (releases.isEmpty()) releases.add(23.0);
        if (inputs.isEmpty()) { System.err.println("usage: Gate [--release R]... [--strict] [--fingerprint] FILE|DIR..."); System.exit(2); }
        List<Path> files = new ArrayList<>();
        for (Path in : inputs) {
            if (Files.isDirectory(in)) try (var w = Files.walk(in)) {
                w.filter(p -> p.toString().matches(".*\\.(sql|pks|pkb|plb|pkg|prc|fnc|typ|tps|tpb|trg)$")).sorted().forEach(files::add);
            } else files.add(in);
        }
        // Scripts first (they decide order and DEFINE state), then files no script includes.
        List<Unit> units = new ArrayList<>();
        Map<Path, Boolean> done = new HashMap<>();
        List<Path> scripts = new ArrayList<>();
        for (Path f : files) if (Files.readString(f).matches("(?s).*(^|\n)\\s*@@?\\S+.*")) scripts.add(f);
        // A script included by another script is read through it.
        Set<String> included = new HashSet<>();
        for (Path f : scripts) {
            for (Matcher m = Pattern.compile("(?m)^\\s*@@?([\\w./-]+)").matcher(Files.readString(f)); m.find(); ) included.add(f.resolveSibling(m.group(1)).toAbsolutePath().normalize().toString());
            for (Matcher m = Pattern.compile("'([\\w./-]+\\.sql)'").matcher(Files.readString(f)); m.find(); ) included.add(f.resolveSibling(m.group(1)).toAbsolutePath().normalize().toString());
        }
        ordered = true;   // units reached from a top-level script have a known order
        for (Path f : scripts) if (!included.contains(f.toAbsolutePath().normalize().toString())) { readScript(f, true, units, new HashSet<>(), done, null); relaxed = false; }
        ordered = false;
        for (Path f : scripts) { readScript(f, true, units, new HashSet<>(), done, null); relaxed = false; }
        for (Path f : files) if (!done.containsKey(f.toAbsolutePath().normalize())) readScript(f, true, units, new HashSet<>(), done, null);
        long t0 = System.nanoTime();
        for (Unit u : units) parse(u);
        List<Finding> releaseFree = new ArrayList<>(findings); // syntax and SQL*Plus findings hold for every release
        findings.clear();
        for (int i = 0; i < units.size(); i++) register(units.get(i), i);
        if (fp) {
            for (Unit u : units) {
                if (u.tree == null) continue;
                for (var cb : all(u.tree, PlSqlParser.Create_package_bodyContext.class))
                    for (var o : cb.package_obj_body()) {
                        ParserRuleContext c = o.procedure_body() != null ? o.procedure_body() : o.function_body();
                        if (c == null) continue;
                        Sub s = sub(c);
                        System.out.println(id(cb.package_name(0)) + "." + s.name + "/" + s.params.size() + " " + fingerprint(u.tokens, c));
                    }
            }
            return;
        }
        int errors = releaseFree.size();
        for (Finding f : releaseFree) System.out.println("ERROR [" + f.rule + "] " + f.ora + " " + f.where + ": " + f.msg);
        Map<Path, Double> mins = new HashMap<>();
        for (Unit u : units) if (!mins.containsKey(u.file)) mins.put(u.file, minRelease(u.file));
        for (double r : releases) {
            release = r; findings.clear(); seen.clear(); uncatalogued.clear();
            int checked = 0; Set<Path> skipped = new TreeSet<>();
            for (int i = 0; i < units.size(); i++) {
                Unit u = units.get(i);
                double min = mins.get(u.file);
                if (min > r) { skipped.add(u.file.getFileName()); continue; }
                currentOrder = i; checked++;
                check(u, i, min);
            }
            for (Finding f : findings) System.out.println("ERROR [" + f.rule + "] " + f.ora + " " + f.where + " (release " + rel(r) + "): " + f.msg);
            errors += findings.size();
            int unc = uncatalogued.values().stream().mapToInt(Integer::intValue).sum();
            if (!quiet && !uncatalogued.isEmpty()) System.out.println("uncatalogued (release " + rel(r) + "): " + uncatalogued);
            if (strict && unc > 0) { errors += unc; System.out.println("ERROR [resolve] --strict: " + unc + " uncatalogued reference(s)"); }
            System.out.println("release " + rel(r) + ": " + checked + " units checked, " + findings.size() + " errors, "
                + unc + " uncatalogued references" + (skipped.isEmpty() ? "" : ", below their minimum release (skipped): " + skipped));
        }
        System.out.println("gate: " + units.size() + " units in " + files.size() + " files, parse " + (System.nanoTime() - t0) / 1000000 + " ms, "
            + releaseFree.size() + " release-independent errors, " + errors + " errors in all, "
            + unparsedSubst + " units not parsed (text from run-time substitution), "
            + grammarGapUnits + " units the grammar cannot parse (counted apart)");
        System.out.println("gate: arguments checked (all releases, every overload tried): " + modeChecks + " against OUT/IN OUT formals [call-mode], "
            + typeChecks + " of known class against typed formals [call-type]");
        System.exit(errors == 0 ? 0 : 1);
    }
}
