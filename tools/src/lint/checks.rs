//! The checks, on the parsed tree, as the reference linter (bandit 1.9)
//! makes them: it walks the tree in the order Python's `ast` lists fields,
//! keeps the imports and aliases seen so far (`import numpy as np`,
//! `from os import system`), names each call by its qualified name through
//! them, and looks at each string with its parent node.

use std::collections::{HashMap, HashSet};

use rustpython_parser::ast::{
    self, Constant, ExceptHandler, Expr, Keyword, Pattern, Ranged, Stmt, TypeParam,
};

use super::catalog::{self, Listed};
use crate::Level::{self, High, Low, Medium};

/// A finding before it is placed in the file: its check, levels, message,
/// the byte offset it points at and the byte range of its node (a
/// `# nosec` anywhere in that range silences it, as in the reference).
#[derive(Debug)]
pub struct Raw {
    /// The check's id.
    pub id: &'static str,
    /// The check's name.
    pub name: &'static str,
    /// How bad.
    pub severity: Level,
    /// How sure.
    pub confidence: Level,
    /// The message.
    pub message: String,
    /// The fix.
    pub fix: &'static str,
    /// Where it points (byte offset).
    pub at: usize,
    /// Where its column is counted from (byte offset of the node).
    pub column_at: usize,
    /// The node's byte range, for `# nosec`.
    pub context: (usize, usize),
}

/// A node on the path from the root to the node being checked.
#[derive(Clone, Copy)]
enum Node<'a> {
    Stmt(&'a Stmt),
    Expr(&'a Expr),
    Keyword(&'a Keyword),
    Other,
}

/// What the walk has learnt of the file's imports so far: it carries over
/// from one piece of a large file to the next.
#[derive(Debug, Default)]
pub struct Imports {
    /// Local name to qualified name (`np` to `numpy`, `system` to `os.system`).
    aliases: HashMap<String, String>,
    /// Every module or name imported.
    imported: HashSet<String>,
}

/// The walk's state.
pub struct Walker<'a> {
    aliases: HashMap<String, String>,
    imports: HashSet<String>,
    stack: Vec<Node<'a>>,
    /// The index of the dict key being walked (B105 looks up its value).
    key_index: usize,
    /// Called with each finding; returns whether to keep walking.
    sink: &'a mut dyn FnMut(Raw),
}

/// A literal as the reference linter reads call arguments: strings, names,
/// attribute names and `True`/`False`/`None` as text, integers as numbers;
/// `None` when it is none of these.
#[derive(Debug, PartialEq)]
enum Value {
    Text(String),
    Int(Option<u64>),
    Other,
}

impl Value {
    fn is(&self, text: &str) -> bool {
        matches!(self, Self::Text(value) if value == text)
    }
}

/// The value of an argument: an attribute's name, else its literal value.
fn value(expr: &Expr) -> Option<Value> {
    Some(match expr {
        Expr::Attribute(attribute) => Value::Text(attribute.attr.to_string()),
        Expr::Name(name) => Value::Text(name.id.to_string()),
        Expr::Constant(constant) => match &constant.value {
            Constant::Bool(true) => Value::Text("True".into()),
            Constant::Bool(false) => Value::Text("False".into()),
            Constant::None => Value::Text("None".into()),
            Constant::Str(text) => Value::Text(text.clone()),
            Constant::Int(int) => Value::Int(u64::try_from(int).ok()),
            _ => Value::Other,
        },
        Expr::List(_) | Expr::Tuple(_) | Expr::Set(_) | Expr::Dict(_) => Value::Other,
        _ => return None,
    })
}

/// The keyword argument `name`'s value, as [`value`] reads it.
fn keyword(call: &ast::ExprCall, name: &str) -> Option<Value> {
    call.keywords
        .iter()
        .rev()
        .find(|keyword| keyword.arg.as_deref() == Some(name))
        .and_then(|keyword| value(&keyword.value))
}

/// Where the keyword argument `name`'s value starts, if it is passed.
fn keyword_at(call: &ast::ExprCall, name: &str) -> Option<usize> {
    call.keywords
        .iter()
        .find(|keyword| keyword.arg.as_deref() == Some(name))
        .map(|keyword| keyword.value.start().to_usize())
}

/// The string of a string constant.
fn string(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Constant(ast::ExprConstant {
            value: Constant::Str(text),
            ..
        }) => Some(text),
        _ => None,
    }
}

/// Whether a variable, attribute or key name is a password's, by the
/// reference's pattern `(^W$|_W_|^W_|_W$)` for the words
/// `pas+wo?r?d|pass(phrase)?|pwd|token|secrete?`, case-insensitive: one of
/// the name's `_`-separated parts is such a word.
pub fn password_name(name: &str) -> bool {
    name.split('_').any(|part| {
        let part = part.to_ascii_lowercase();
        let word = part.as_bytes();
        let passwd = || {
            // pas+wo?r?d
            let Some(rest) = word.strip_prefix(b"pa") else {
                return false;
            };
            let s = rest.iter().take_while(|&&b| b == b's').count();
            if s == 0 {
                return false;
            }
            let Some(mut rest) = rest[s..].strip_prefix(b"w") else {
                return false;
            };
            if let Some(after) = rest.strip_prefix(b"o") {
                rest = after;
            }
            if let Some(after) = rest.strip_prefix(b"r") {
                rest = after;
            }
            rest == b"d"
        };
        passwd()
            || matches!(
                word,
                b"pass" | b"passphrase" | b"pwd" | b"token" | b"secret" | b"secrete"
            )
    })
}

/// Whether `text` looks like SQL by the reference's pattern:
/// `select\s.*from\s|delete\s+from\s|insert\s+into\s.*values[\s(]|update\s.*set\s`,
/// case-insensitive, anywhere in the text.
pub fn looks_like_sql(text: &str) -> bool {
    let lower = text.to_lowercase();
    let bytes = lower.as_bytes();
    let space = |at: usize| {
        lower
            .get(at..)
            .and_then(|rest| rest.chars().next())
            .is_some_and(char::is_whitespace)
    };
    let spaces = |mut at: usize| {
        let start = at;
        while let Some(c) = lower.get(at..).and_then(|rest| rest.chars().next()) {
            if !c.is_whitespace() {
                break;
            }
            at += c.len_utf8();
        }
        (at > start).then_some(at)
    };
    let find = |word: &str, from: usize, next: &dyn Fn(usize) -> bool| {
        let mut at = from;
        while let Some(found) = lower.get(at..).and_then(|rest| rest.find(word)) {
            let end = at + found + word.len();
            if next(end) {
                return Some(end);
            }
            at += found + 1;
            while !lower.is_char_boundary(at) {
                at += 1;
            }
        }
        None
    };
    let _ = bytes;
    // select\s.*from\s
    if let Some(end) = find("select", 0, &space)
        && find("from", end + 1, &space).is_some()
    {
        return true;
    }
    // delete\s+from\s
    let delete_from = |end: usize| {
        spaces(end).is_some_and(|after| lower[after..].starts_with("from") && space(after + 4))
    };
    if find("delete", 0, &delete_from).is_some() {
        return true;
    }
    // insert\s+into\s.*values[\s(]
    let insert_into = |end: usize| {
        spaces(end).is_some_and(|after| lower[after..].starts_with("into") && space(after + 4))
    };
    if let Some(end) = find("insert", 0, &insert_into) {
        let into = spaces(end).unwrap_or(end) + 4;
        let values = |at: usize| space(at) || lower.as_bytes().get(at) == Some(&b'(');
        if find("values", into + 1, &values).is_some() {
            return true;
        }
    }
    // update\s.*set\s
    if let Some(end) = find("update", 0, &space)
        && find("set", end + 1, &space).is_some()
    {
        return true;
    }
    false
}

/// The commands the reference runs through `subprocess` (B602, B603).
const SUBPROCESS: &[&str] = &[
    "subprocess.Popen",
    "subprocess.call",
    "subprocess.check_call",
    "subprocess.check_output",
    "subprocess.run",
];
/// Calls that run a shell (B605).
const SHELL: &[&str] = &[
    "os.system",
    "os.popen",
    "os.popen2",
    "os.popen3",
    "os.popen4",
    "popen2.popen2",
    "popen2.popen3",
    "popen2.popen4",
    "popen2.Popen3",
    "popen2.Popen4",
    "commands.getoutput",
    "commands.getstatusoutput",
    "subprocess.getoutput",
    "subprocess.getstatusoutput",
];
/// Calls that start a program without a shell (B606).
const NO_SHELL: &[&str] = &[
    "os.execl",
    "os.execle",
    "os.execlp",
    "os.execlpe",
    "os.execv",
    "os.execve",
    "os.execvp",
    "os.execvpe",
    "os.spawnl",
    "os.spawnle",
    "os.spawnlp",
    "os.spawnlpe",
    "os.spawnv",
    "os.spawnve",
    "os.spawnvp",
    "os.spawnvpe",
    "os.startfile",
];
/// The HTTP methods of `requests` (B113, B501).
const HTTP_VERBS: &[&str] = &["get", "options", "head", "post", "put", "patch", "delete"];
/// What `httpx` offers besides them.
const HTTPX_EXTRA: &[&str] = &["request", "stream", "Client", "AsyncClient"];
/// The weak hashes of `hashlib` (B324).
const WEAK_HASHES: &[&str] = &["md4", "md5", "sha", "sha1"];
/// Where temporary files go (B108).
const TMP_DIRS: &[&str] = &["/tmp", "/var/tmp", "/dev/shm"];
/// How many nodes B608 looks at in one chain of `+`/`%` for each string in
/// it, and how much of the other strings' text it joins: enough for any
/// query built by hand, and linear on a chain of a million strings.
const CONCAT_BUDGET: usize = 64;
/// See [`CONCAT_BUDGET`].
const CONCAT_TEXT: usize = 4096;

impl<'a> Walker<'a> {
    /// A walker that knows `imports` and hands each finding to `sink`.
    pub fn new(imports: Imports, sink: &'a mut dyn FnMut(Raw)) -> Self {
        Self {
            aliases: imports.aliases,
            imports: imports.imported,
            stack: Vec::new(),
            key_index: 0,
            sink,
        }
    }

    /// What the walk learnt of the imports, for the next piece.
    pub fn imports(self) -> Imports {
        Imports {
            aliases: self.aliases,
            imported: self.imports,
        }
    }

    /// Walks a module's statements.
    pub fn suite(&mut self, body: &'a [Stmt]) {
        for stmt in body {
            self.stmt(stmt);
        }
    }

    fn report(
        &mut self,
        id: &'static str,
        (severity, confidence): (Level, Level),
        message: impl Into<String>,
        at: usize,
        node: (usize, usize),
    ) {
        let check = catalog::check(id);
        (self.sink)(Raw {
            id,
            name: check.map_or("", |check| check.name),
            severity,
            confidence,
            message: message.into(),
            fix: check.map_or("", |check| check.fix),
            at,
            column_at: node.0,
            context: node,
        });
    }

    fn listed(&mut self, item: &'static Listed, name: &str, at: usize, node: (usize, usize)) {
        (self.sink)(Raw {
            id: item.id,
            name: item.name,
            severity: item.severity,
            confidence: High,
            message: item.message.replace("{name}", name),
            fix: item.fix,
            at,
            column_at: node.0,
            context: node,
        });
    }

    fn stmt(&mut self, stmt: &'a Stmt) {
        let range = span(stmt);
        match stmt {
            Stmt::Assert(_) => self.report(
                "B101",
                (Low, High),
                "Use of assert detected. The enclosed code will be removed when compiling to optimised byte code.",
                range.0,
                range,
            ),
            Stmt::FunctionDef(def) => self.password_default(&def.args, def_start(stmt), range),
            Stmt::Import(import) => self.import(None, &import.names, range),
            Stmt::ImportFrom(import) => {
                self.import(import.module.as_deref(), &import.names, range)
            }
            _ => {}
        }
        self.stack.push(Node::Stmt(stmt));
        match stmt {
            Stmt::FunctionDef(ast::StmtFunctionDef {
                args,
                body,
                decorator_list,
                returns,
                type_params,
                ..
            })
            | Stmt::AsyncFunctionDef(ast::StmtAsyncFunctionDef {
                args,
                body,
                decorator_list,
                returns,
                type_params,
                ..
            }) => {
                self.arguments(args);
                self.suite(body);
                self.exprs(decorator_list);
                self.opt(returns.as_deref());
                self.type_params(type_params);
            }
            Stmt::ClassDef(class) => {
                self.exprs(&class.bases);
                self.keywords(&class.keywords);
                self.suite(&class.body);
                self.exprs(&class.decorator_list);
                self.type_params(&class.type_params);
            }
            Stmt::Return(ret) => self.opt(ret.value.as_deref()),
            Stmt::Delete(delete) => self.exprs(&delete.targets),
            Stmt::Assign(assign) => {
                self.exprs(&assign.targets);
                self.expr(&assign.value);
            }
            Stmt::TypeAlias(alias) => {
                self.expr(&alias.name);
                self.type_params(&alias.type_params);
                self.expr(&alias.value);
            }
            Stmt::AugAssign(assign) => {
                self.expr(&assign.target);
                self.expr(&assign.value);
            }
            Stmt::AnnAssign(assign) => {
                self.expr(&assign.target);
                self.expr(&assign.annotation);
                self.opt(assign.value.as_deref());
            }
            Stmt::For(ast::StmtFor {
                target,
                iter,
                body,
                orelse,
                ..
            })
            | Stmt::AsyncFor(ast::StmtAsyncFor {
                target,
                iter,
                body,
                orelse,
                ..
            }) => {
                self.expr(target);
                self.expr(iter);
                self.suite(body);
                self.suite(orelse);
            }
            Stmt::While(ast::StmtWhile {
                test, body, orelse, ..
            })
            | Stmt::If(ast::StmtIf {
                test, body, orelse, ..
            }) => {
                self.expr(test);
                self.suite(body);
                self.suite(orelse);
            }
            Stmt::With(ast::StmtWith { items, body, .. })
            | Stmt::AsyncWith(ast::StmtAsyncWith { items, body, .. }) => {
                for item in items {
                    self.stack.push(Node::Other);
                    self.expr(&item.context_expr);
                    self.opt(item.optional_vars.as_deref());
                    self.stack.pop();
                }
                self.suite(body);
            }
            Stmt::Match(matching) => {
                self.expr(&matching.subject);
                for case in &matching.cases {
                    self.stack.push(Node::Other);
                    self.pattern(&case.pattern);
                    self.opt(case.guard.as_deref());
                    self.suite(&case.body);
                    self.stack.pop();
                }
            }
            Stmt::Raise(raise) => {
                self.opt(raise.exc.as_deref());
                self.opt(raise.cause.as_deref());
            }
            Stmt::Try(ast::StmtTry {
                body,
                handlers,
                orelse,
                finalbody,
                ..
            })
            | Stmt::TryStar(ast::StmtTryStar {
                body,
                handlers,
                orelse,
                finalbody,
                ..
            }) => {
                self.suite(body);
                for handler in handlers {
                    self.handler(handler);
                }
                self.suite(orelse);
                self.suite(finalbody);
            }
            Stmt::Assert(assert) => {
                self.expr(&assert.test);
                self.opt(assert.msg.as_deref());
            }
            Stmt::Expr(expr) => self.expr(&expr.value),
            Stmt::Import(_)
            | Stmt::ImportFrom(_)
            | Stmt::Global(_)
            | Stmt::Nonlocal(_)
            | Stmt::Pass(_)
            | Stmt::Break(_)
            | Stmt::Continue(_) => {}
        }
        self.stack.pop();
    }

    fn handler(&mut self, handler: &'a ExceptHandler) {
        let ExceptHandler::ExceptHandler(handler) = handler;
        let range = (
            handler.range.start().to_usize(),
            handler.range.end().to_usize(),
        );
        let broad = match handler.type_.as_deref() {
            None => true,
            Some(Expr::Name(name)) => name.id.as_str() == "Exception",
            Some(_) => false,
        };
        if broad && handler.body.len() == 1 {
            match &handler.body[0] {
                Stmt::Pass(_) => self.report(
                    "B110",
                    (Low, High),
                    "Try, Except, Pass detected.",
                    range.0,
                    range,
                ),
                Stmt::Continue(_) => self.report(
                    "B112",
                    (Low, High),
                    "Try, Except, Continue detected.",
                    range.0,
                    range,
                ),
                _ => {}
            }
        }
        self.stack.push(Node::Other);
        self.opt(handler.type_.as_deref());
        self.suite(&handler.body);
        self.stack.pop();
    }

    fn arguments(&mut self, args: &'a ast::Arguments) {
        self.stack.push(Node::Other);
        // Python lists positional parameters, `*args`, keyword-only ones,
        // their defaults, `**kwargs`, then the defaults of the positional ones.
        let all = args
            .posonlyargs
            .iter()
            .chain(&args.args)
            .map(|with| &with.def)
            .chain(args.vararg.as_deref())
            .chain(args.kwonlyargs.iter().map(|with| &with.def))
            .chain(args.kwarg.as_deref());
        for arg in all {
            self.opt(arg.annotation.as_deref());
        }
        for default in args
            .kwonlyargs
            .iter()
            .filter_map(|with| with.default.as_deref())
        {
            self.expr(default);
        }
        for default in args
            .posonlyargs
            .iter()
            .chain(&args.args)
            .filter_map(|with| with.default.as_deref())
        {
            self.expr(default);
        }
        self.stack.pop();
    }

    fn type_params(&mut self, params: &'a [TypeParam]) {
        for param in params {
            if let TypeParam::TypeVar(var) = param {
                self.stack.push(Node::Other);
                self.opt(var.bound.as_deref());
                self.stack.pop();
            }
        }
    }

    fn pattern(&mut self, pattern: &'a Pattern) {
        self.stack.push(Node::Other);
        match pattern {
            Pattern::MatchValue(value) => self.expr(&value.value),
            Pattern::MatchSingleton(_) | Pattern::MatchStar(_) => {}
            Pattern::MatchSequence(sequence) => {
                for inner in &sequence.patterns {
                    self.pattern(inner);
                }
            }
            Pattern::MatchMapping(mapping) => {
                self.exprs(&mapping.keys);
                for inner in &mapping.patterns {
                    self.pattern(inner);
                }
            }
            Pattern::MatchClass(class) => {
                self.expr(&class.cls);
                for inner in class.patterns.iter().chain(&class.kwd_patterns) {
                    self.pattern(inner);
                }
            }
            Pattern::MatchAs(matched) => {
                if let Some(inner) = &matched.pattern {
                    self.pattern(inner);
                }
            }
            Pattern::MatchOr(or) => {
                for inner in &or.patterns {
                    self.pattern(inner);
                }
            }
        }
        self.stack.pop();
    }

    fn exprs(&mut self, exprs: &'a [Expr]) {
        for expr in exprs {
            self.expr(expr);
        }
    }

    fn opt(&mut self, expr: Option<&'a Expr>) {
        if let Some(expr) = expr {
            self.expr(expr);
        }
    }

    fn keywords(&mut self, keywords: &'a [Keyword]) {
        for keyword in keywords {
            self.stack.push(Node::Keyword(keyword));
            self.expr(&keyword.value);
            self.stack.pop();
        }
    }

    fn comprehensions(&mut self, generators: &'a [ast::Comprehension]) {
        for generator in generators {
            self.stack.push(Node::Other);
            self.expr(&generator.target);
            self.expr(&generator.iter);
            self.exprs(&generator.ifs);
            self.stack.pop();
        }
    }

    fn expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Call(call) => self.call(call),
            Expr::Constant(ast::ExprConstant {
                value: Constant::Str(text),
                range,
                ..
            }) => self.string(
                expr,
                text,
                (range.start().to_usize(), range.end().to_usize()),
            ),
            _ => {}
        }
        self.stack.push(Node::Expr(expr));
        match expr {
            Expr::BoolOp(op) => self.exprs(&op.values),
            Expr::NamedExpr(named) => {
                self.expr(&named.target);
                self.expr(&named.value);
            }
            Expr::BinOp(op) => {
                self.expr(&op.left);
                self.expr(&op.right);
            }
            Expr::UnaryOp(op) => self.expr(&op.operand),
            Expr::Lambda(lambda) => {
                self.arguments(&lambda.args);
                self.expr(&lambda.body);
            }
            Expr::IfExp(ifexp) => {
                self.expr(&ifexp.test);
                self.expr(&ifexp.body);
                self.expr(&ifexp.orelse);
            }
            Expr::Dict(dict) => {
                for (index, key) in dict.keys.iter().enumerate() {
                    if let Some(key) = key {
                        self.key_index = index;
                        self.expr(key);
                    }
                }
                self.exprs(&dict.values);
            }
            Expr::Set(set) => self.exprs(&set.elts),
            Expr::List(list) => self.exprs(&list.elts),
            Expr::Tuple(tuple) => self.exprs(&tuple.elts),
            Expr::ListComp(ast::ExprListComp {
                elt, generators, ..
            })
            | Expr::SetComp(ast::ExprSetComp {
                elt, generators, ..
            })
            | Expr::GeneratorExp(ast::ExprGeneratorExp {
                elt, generators, ..
            }) => {
                self.expr(elt);
                self.comprehensions(generators);
            }
            Expr::DictComp(comp) => {
                self.expr(&comp.key);
                self.expr(&comp.value);
                self.comprehensions(&comp.generators);
            }
            Expr::Await(ast::ExprAwait { value, .. })
            | Expr::YieldFrom(ast::ExprYieldFrom { value, .. })
            | Expr::Attribute(ast::ExprAttribute { value, .. })
            | Expr::Starred(ast::ExprStarred { value, .. }) => self.expr(value),
            Expr::Yield(yielded) => self.opt(yielded.value.as_deref()),
            Expr::Compare(compare) => {
                self.expr(&compare.left);
                self.exprs(&compare.comparators);
            }
            Expr::Call(call) => {
                self.expr(&call.func);
                self.exprs(&call.args);
                self.keywords(&call.keywords);
            }
            Expr::FormattedValue(formatted) => {
                self.expr(&formatted.value);
                self.opt(formatted.format_spec.as_deref());
            }
            Expr::JoinedStr(joined) => self.exprs(&joined.values),
            Expr::Subscript(subscript) => {
                self.expr(&subscript.value);
                self.expr(&subscript.slice);
            }
            Expr::Slice(slice) => {
                self.opt(slice.lower.as_deref());
                self.opt(slice.upper.as_deref());
                self.opt(slice.step.as_deref());
            }
            Expr::Constant(_) | Expr::Name(_) => {}
        }
        self.stack.pop();
    }

    /// Records an import's aliases and checks it against the list (B4xx).
    fn import(&mut self, module: Option<&str>, names: &[ast::Alias], range: (usize, usize)) {
        for alias in names {
            let name = alias.name.as_str();
            match module {
                None => {
                    if let Some(asname) = &alias.asname {
                        self.aliases.insert(asname.to_string(), name.to_owned());
                    }
                    self.imports.insert(name.to_owned());
                }
                Some(module) => {
                    let full = format!("{module}.{name}");
                    let key = alias.asname.as_ref().map_or(name, |asname| asname.as_str());
                    self.aliases.insert(key.to_owned(), full.clone());
                    self.imports.insert(full);
                }
            }
        }
        let prefix = module
            .map(|module| format!("{module}."))
            .unwrap_or_default();
        for item in catalog::IMPORTS {
            for alias in names {
                let full = format!("{prefix}{}", alias.name.as_str());
                if item.names.iter().any(|listed| full.starts_with(listed)) {
                    self.listed(item, alias.name.as_str(), range.0, range);
                    return;
                }
            }
        }
    }

    /// B107: a function whose parameter named like a password has a string
    /// default.
    fn password_default(&mut self, args: &ast::Arguments, at: usize, range: (usize, usize)) {
        for with in &args.args {
            if let Some(text) = with.default.as_deref().and_then(string)
                && password_name(with.def.arg.as_str())
            {
                self.report(
                    "B107",
                    (Low, Medium),
                    format!("Possible hardcoded password: '{text}'"),
                    at,
                    range,
                );
                return;
            }
        }
    }

    /// The qualified name of a call's function, through the aliases.
    fn qualified(&self, func: &Expr) -> String {
        match func {
            Expr::Name(name) => self
                .aliases
                .get(name.id.as_str())
                .cloned()
                .unwrap_or_else(|| name.id.to_string()),
            Expr::Attribute(_) => self.attribute_name(func),
            _ => String::new(),
        }
    }

    fn attribute_name(&self, expr: &Expr) -> String {
        match expr {
            Expr::Name(name) => self
                .aliases
                .get(name.id.as_str())
                .cloned()
                .unwrap_or_else(|| name.id.to_string()),
            Expr::Attribute(attribute) => {
                let name = format!(
                    "{}.{}",
                    self.attribute_name(&attribute.value),
                    attribute.attr
                );
                self.aliases.get(&name).cloned().unwrap_or(name)
            }
            _ => String::new(),
        }
    }

    fn call(&mut self, call: &'a ast::ExprCall) {
        let qualified = self.qualified(&call.func);
        let name = qualified.rsplit('.').next().unwrap_or("").to_owned();
        let node = (call.range.start().to_usize(), call.range.end().to_usize());
        let at = node.0;
        let args = &call.args;
        let arg = |n: usize| args.get(n).and_then(value);

        if qualified == "exec" {
            self.report("B102", (Medium, High), "Use of exec detected.", at, node);
        }

        // The lists of dangerous calls (and imports by call).
        let listed_name = match &*call.func {
            Expr::Name(func) if func.id.as_str() == "__import__" => Some(match args.first() {
                Some(first) => string(first).unwrap_or("UNKNOWN").to_owned(),
                None => String::new(),
            }),
            _ if matches!(
                qualified.as_str(),
                "importlib.import_module" | "importlib.__import__"
            ) =>
            {
                match if args.is_empty() {
                    keyword(call, "name")
                } else {
                    arg(0)
                } {
                    Some(Value::Text(text)) => Some(text),
                    _ => None,
                }
            }
            _ => Some(qualified.clone()),
        };
        if let Some(listed_name) = listed_name
            && let Some(item) = catalog::CALLS
                .iter()
                .chain(catalog::IMPORTS)
                .find(|item| item.names.contains(&listed_name.as_str()))
        {
            self.listed(item, &listed_name, at, node);
        }

        // B103
        if name.contains("chmod")
            && args.len() == 2
            && let Some(Value::Int(Some(mode))) = arg(1)
            && mode & 0o33 != 0
        {
            let file = match arg(0) {
                Some(Value::Text(text)) => text,
                _ => "NOT PARSED".to_owned(),
            };
            let severity = if mode & 0o2 != 0 { High } else { Medium };
            self.report(
                "B103",
                (severity, High),
                format!("Chmod setting a permissive mask {mode:#o} on file ({file})."),
                at,
                node,
            );
        }

        // B106
        for kw in &call.keywords {
            if let (Some(text), Some(arg)) = (string(&kw.value), &kw.arg)
                && password_name(arg.as_str())
            {
                self.report(
                    "B106",
                    (Low, Medium),
                    format!("Possible hardcoded password: '{text}'"),
                    kw.value.start().to_usize(),
                    node,
                );
                break;
            }
        }

        // B113, B501
        let first = qualified.split('.').next().unwrap_or("");
        let verb = HTTP_VERBS.contains(&name.as_str());
        let requests = first == "requests" && verb;
        let httpx = first == "httpx" && (verb || HTTPX_EXTRA.contains(&name.as_str()));
        if requests && keyword(call, "timeout").is_none() {
            self.report(
                "B113",
                (Medium, Low),
                format!("Call to {first} without timeout"),
                at,
                node,
            );
        }
        if (requests || httpx) && keyword(call, "timeout").is_some_and(|v| v.is("None")) {
            self.report(
                "B113",
                (Medium, Low),
                format!("Call to {first} with timeout set to None"),
                at,
                node,
            );
        }
        if (requests || httpx) && keyword(call, "verify").is_some_and(|v| v.is("False")) {
            self.report(
                "B501",
                (High, High),
                format!("Call to {first} with verify=False disabling SSL certificate checks, security issue."),
                keyword_at(call, "verify").unwrap_or(at),
                node,
            );
        }

        // B201
        if qualified.ends_with(".run")
            && keyword(call, "debug").is_some_and(|v| v.is("True"))
            && self.imports.iter().any(|import| import.contains("flask"))
        {
            self.report(
                "B201",
                (High, Medium),
                "A Flask app appears to be run with debug=True, which exposes the Werkzeug debugger and allows the execution of arbitrary code.",
                keyword_at(call, "debug").unwrap_or(at),
                node,
            );
        }

        // B202
        if self.imports.contains("tarfile") && name.contains("extractall") {
            self.tarfile(call, at, node);
        }

        // B324
        let parts: Vec<&str> = qualified.split('.').collect();
        if parts.contains(&"hashlib") {
            let for_security = keyword(call, "usedforsecurity").is_none_or(|v| v.is("True"));
            let weak = if WEAK_HASHES.contains(&name.as_str()) {
                Some(name.clone())
            } else if name == "new" {
                match if args.is_empty() {
                    keyword(call, "name")
                } else {
                    arg(0)
                } {
                    Some(Value::Text(hash))
                        if WEAK_HASHES.contains(&hash.to_lowercase().as_str()) =>
                    {
                        Some(hash)
                    }
                    _ => None,
                }
            } else {
                None
            };
            if let (Some(hash), true) = (weak, for_security) {
                self.report(
                    "B324",
                    (High, High),
                    format!(
                        "Use of weak {} hash for security. Consider usedforsecurity=False",
                        hash.to_uppercase()
                    ),
                    at,
                    node,
                );
            }
        }

        // B506
        if self.imports.contains("yaml")
            && parts.contains(&"yaml")
            && name == "load"
            && !keyword(call, "Loader").is_some_and(|v| v.is("SafeLoader") || v.is("CSafeLoader"))
            && !arg(1).is_some_and(|v| v.is("SafeLoader") || v.is("CSafeLoader"))
        {
            self.report(
                "B506",
                (Medium, High),
                "Use of unsafe yaml load. Allows instantiation of arbitrary objects. Consider yaml.safe_load().",
                at,
                node,
            );
        }

        // B602 to B607
        self.shell(call, &qualified, at, node);

        // B614
        if self.imports.contains("torch")
            && matches!(
                qualified.as_str(),
                "torch.load" | "torch.serialization.load"
            )
            && !keyword(call, "weights_only").is_some_and(|v| v.is("True"))
        {
            self.report(
                "B614",
                (Medium, High),
                "Use of unsafe PyTorch load",
                at,
                node,
            );
        }

        // B701
        if parts.contains(&"jinja2") && name == "Environment" {
            let autoescape = call
                .keywords
                .iter()
                .find(|kw| kw.arg.as_deref() == Some("autoescape"));
            let levels = match autoescape.map(|kw| &kw.value) {
                None => Some((
                    (High, High),
                    "By default, jinja2 sets autoescape to False. Consider using autoescape=True or use the select_autoescape function to mitigate XSS vulnerabilities.",
                )),
                Some(Expr::Constant(ast::ExprConstant {
                    value: Constant::Bool(false),
                    ..
                })) => Some((
                    (High, High),
                    "Using jinja2 templates with autoescape=False is dangerous and can lead to XSS. Use autoescape=True or use the select_autoescape function to mitigate XSS vulnerabilities.",
                )),
                Some(Expr::Constant(ast::ExprConstant {
                    value: Constant::Bool(true),
                    ..
                })) => None,
                Some(Expr::Call(inner))
                    if matches!(&*inner.func, Expr::Attribute(a) if a.attr.as_str() == "select_autoescape")
                        || matches!(&*inner.func, Expr::Name(n) if n.id.as_str() == "select_autoescape") =>
                {
                    None
                }
                Some(_) => Some((
                    (High, Medium),
                    "Using jinja2 templates with autoescape=False is dangerous and can lead to XSS. Ensure autoescape=True or use the select_autoescape function to mitigate XSS vulnerabilities.",
                )),
            };
            if let Some((levels, message)) = levels {
                self.report("B701", levels, message, at, node);
            }
        }
    }

    /// B202: `tarfile`'s `extractall` without the `data` filter.
    fn tarfile(&mut self, call: &ast::ExprCall, at: usize, node: (usize, usize)) {
        let first = |name: &str| {
            call.keywords
                .iter()
                .find(|kw| kw.arg.as_deref() == Some(name))
        };
        if let Some(filter) = first("filter")
            && string(&filter.value) == Some("data")
        {
            return;
        }
        let Some(members) = first("members") else {
            self.report(
                "B202",
                (High, High),
                "tarfile.extractall used without any validation. Please check and discard dangerous members.",
                at,
                node,
            );
            return;
        };
        match &members.value {
            Expr::Call(inner) => {
                // The reference reads the function's name; an attribute
                // (`self.safe(tar)`) makes it fail, and report nothing.
                if let Expr::Name(function) = &*inner.func {
                    self.report(
                        "B202",
                        (Low, Low),
                        format!(
                            "Usage of tarfile.extractall(members=function(tarfile)). Make sure your function properly discards dangerous members {{'Function': '{}'}}).",
                            function.id
                        ),
                        at,
                        node,
                    );
                }
            }
            other => {
                let value = match other {
                    Expr::Name(name) => format!("'{}'", name.id),
                    _ => "…".to_owned(),
                };
                self.report(
                    "B202",
                    (Medium, Medium),
                    format!(
                        "Found tarfile.extractall(members=?) but couldn't identify the type of members. Check if the members were properly validated {{'Other': {value}}})."
                    ),
                    at,
                    node,
                );
            }
        }
    }

    /// B602 to B607: processes started with or without a shell.
    fn shell(&mut self, call: &ast::ExprCall, qualified: &str, at: usize, node: (usize, usize)) {
        let shell = call
            .keywords
            .iter()
            .filter(|kw| kw.arg.as_deref() == Some("shell"))
            .map(|kw| match &kw.value {
                Expr::Constant(constant) => match &constant.value {
                    Constant::Bool(value) => *value,
                    Constant::Int(value) => value.bits() != 0,
                    Constant::Float(value) => *value != 0.0,
                    Constant::Complex { real, imag } => *real != 0.0 || *imag != 0.0,
                    Constant::Str(value) => !value.is_empty(),
                    Constant::Bytes(value) => !value.is_empty(),
                    Constant::None => false,
                    Constant::Tuple(value) => !value.is_empty(),
                    Constant::Ellipsis => true,
                },
                Expr::List(list) => !list.elts.is_empty(),
                Expr::Dict(dict) => !dict.keys.is_empty(),
                Expr::Name(name) => !matches!(name.id.as_str(), "False" | "None"),
                _ => true,
            })
            .next_back()
            .unwrap_or(false);
        let shell_at = keyword_at(call, "shell").unwrap_or(at);
        let literal_command = call.args.first().and_then(string).is_some();
        let subprocess = SUBPROCESS.contains(&qualified);
        if subprocess && shell && !call.args.is_empty() {
            if literal_command {
                self.report(
                    "B602",
                    (Low, High),
                    "subprocess call with shell=True seems safe, but may be changed in the future, consider rewriting without shell",
                    shell_at,
                    node,
                );
            } else {
                self.report(
                    "B602",
                    (High, High),
                    "subprocess call with shell=True identified, security issue.",
                    shell_at,
                    node,
                );
            }
        }
        if subprocess && !shell {
            self.report(
                "B603",
                (Low, High),
                "subprocess call - check for execution of untrusted input.",
                shell_at,
                node,
            );
        }
        if !subprocess && shell {
            self.report(
                "B604",
                (Medium, Low),
                "Function call with shell=True parameter identified, possible security issue.",
                shell_at,
                node,
            );
        }
        let with_shell = SHELL.contains(&qualified);
        if with_shell && !call.args.is_empty() {
            if literal_command {
                self.report(
                    "B605",
                    (Low, High),
                    "Starting a process with a shell: Seems safe, but may be changed in the future, consider rewriting without shell",
                    at,
                    node,
                );
            } else {
                self.report(
                    "B605",
                    (High, High),
                    "Starting a process with a shell, possible injection detected, security issue.",
                    at,
                    node,
                );
            }
        }
        let no_shell = NO_SHELL.contains(&qualified);
        if no_shell {
            self.report(
                "B606",
                (Low, Medium),
                "Starting a process without a shell.",
                at,
                node,
            );
        }
        if (subprocess || with_shell || no_shell) && !call.args.is_empty() {
            let mut first = &call.args[0];
            if let Expr::List(list) = first
                && let Some(head) = list.elts.first()
            {
                first = head;
            }
            if let Some(program) = string(first) {
                let mut chars = program.chars();
                let full = match chars.next() {
                    Some('\\' | '/' | '.') => true,
                    Some(c) if c.is_ascii_alphabetic() => chars.next() == Some(':'),
                    _ => false,
                };
                if !full {
                    self.report(
                        "B607",
                        (Low, High),
                        "Starting a process with a partial executable path",
                        at,
                        node,
                    );
                }
            }
        }
    }

    /// The checks of a string constant: B104, B105, B108, B608.
    fn string(&mut self, expr: &'a Expr, text: &str, own: (usize, usize)) {
        let parent = self.stack.last().copied().unwrap_or(Node::Other);
        if matches!(parent, Node::Stmt(Stmt::Expr(_))) {
            // A docstring or a bare string: the reference skips it.
            return;
        }
        // The reference silences a string's findings by a `# nosec`
        // anywhere in its parent's lines.
        let context = match parent {
            Node::Stmt(stmt) => span(stmt),
            Node::Expr(expr) => (expr.start().to_usize(), expr.end().to_usize()),
            Node::Keyword(keyword) => (
                keyword.range.start().to_usize(),
                keyword.range.end().to_usize(),
            ),
            Node::Other => own,
        };
        let at = own.0;
        let report =
            |walker: &mut Self, id: &'static str, levels: (Level, Level), message: String| {
                let check = catalog::check(id);
                (walker.sink)(Raw {
                    id,
                    name: check.map_or("", |check| check.name),
                    severity: levels.0,
                    confidence: levels.1,
                    message,
                    fix: check.map_or("", |check| check.fix),
                    at,
                    column_at: at,
                    context,
                });
            };
        if text == "0.0.0.0" {
            report(
                self,
                "B104",
                (Medium, Medium),
                "Possible binding to all interfaces.".into(),
            );
        }
        if TMP_DIRS.iter().any(|dir| text.starts_with(dir)) {
            report(
                self,
                "B108",
                (Medium, Medium),
                "Probable insecure usage of temp file/directory.".into(),
            );
        }
        if let Some(value) = self.hardcoded_password(expr, text, parent) {
            report(
                self,
                "B105",
                (Low, Medium),
                format!("Possible hardcoded password: '{value}'"),
            );
        }
        if let Some(confidence) = self.sql(expr, text, parent) {
            report(
                self,
                "B608",
                (Medium, confidence),
                "Possible SQL injection vector through string-based query construction.".into(),
            );
        }
    }

    /// B105: the value reported when the string `expr` is a password
    /// assigned, compared or put in a dict under a password's name.
    fn hardcoded_password(&self, expr: &Expr, text: &str, parent: Node<'a>) -> Option<String> {
        match parent {
            Node::Stmt(Stmt::Assign(assign)) => assign
                .targets
                .iter()
                .any(|target| match target {
                    Expr::Name(name) => password_name(name.id.as_str()),
                    Expr::Attribute(attribute) => password_name(attribute.attr.as_str()),
                    _ => false,
                })
                .then(|| text.to_owned()),
            Node::Expr(Expr::Dict(dict)) => {
                // Only a key (the one being walked), never a value.
                let index = self.key_index;
                let key = dict.keys.get(index)?.as_ref()?;
                if !std::ptr::eq(key, expr) || !password_name(text) {
                    return None;
                }
                match dict.values.get(index)? {
                    Expr::Constant(constant) => Some(python_str(&constant.value)),
                    _ => None,
                }
            }
            Node::Expr(Expr::Subscript(_)) => {
                if !password_name(text) {
                    return None;
                }
                match self.stack.len().checked_sub(2).map(|at| self.stack[at]) {
                    Some(Node::Stmt(Stmt::Assign(assign))) => {
                        string(&assign.value).map(str::to_owned)
                    }
                    _ => None,
                }
            }
            Node::Expr(Expr::Compare(compare)) => {
                let named = match &*compare.left {
                    Expr::Name(name) => password_name(name.id.as_str()),
                    Expr::Attribute(attribute) => password_name(attribute.attr.as_str()),
                    _ => false,
                };
                if !named {
                    return None;
                }
                compare
                    .comparators
                    .first()
                    .and_then(string)
                    .map(str::to_owned)
            }
            _ => None,
        }
    }

    /// B608: the confidence when the string `expr` builds SQL with `+`, `%`,
    /// `.format`, `.replace` or an f-string (medium when the result goes
    /// straight to `execute`).
    fn sql(&self, expr: &Expr, text: &str, parent: Node<'a>) -> Option<Level> {
        let depth = self.stack.len();
        let ancestor = |up: usize| depth.checked_sub(up).map(|at| self.stack[at]);
        let (statement, wrapper, replace) = match parent {
            Node::Expr(Expr::BinOp(_)) => {
                // Up to the top of the chain of operators.
                let mut top = depth - 1;
                while top > 0 && matches!(self.stack[top - 1], Node::Expr(Expr::BinOp(_))) {
                    top -= 1;
                }
                let mut statement = text.to_owned();
                if let (Node::Expr(top_expr), Node::Expr(stop)) = (self.stack[top], parent) {
                    let mut budget = CONCAT_BUDGET;
                    concat(top_expr, stop, &mut statement, &mut budget);
                }
                let wrapper = top.checked_sub(1).map(|at| self.stack[at]);
                (statement, wrapper, false)
            }
            Node::Expr(Expr::Attribute(attribute))
                if matches!(attribute.attr.as_str(), "format" | "replace") =>
            {
                (
                    text.to_owned(),
                    ancestor(3),
                    attribute.attr.as_str() == "replace",
                )
            }
            Node::Expr(Expr::JoinedStr(joined)) => {
                let mut pieces = joined.values.iter().filter(|value| string(value).is_some());
                if !pieces.next().is_some_and(|first| std::ptr::eq(first, expr)) {
                    return None;
                }
                let statement: String = joined.values.iter().filter_map(string).collect();
                (statement, ancestor(2), false)
            }
            _ => return None,
        };
        if !looks_like_sql(&statement) {
            return None;
        }
        let execute = match wrapper {
            Some(Node::Expr(Expr::Call(call))) => match &*call.func {
                Expr::Attribute(attribute) => {
                    matches!(attribute.attr.as_str(), "execute" | "executemany")
                }
                Expr::Name(name) => matches!(name.id.as_str(), "execute" | "executemany"),
                _ => false,
            },
            _ => false,
        };
        Some(if execute && !replace { Medium } else { Low })
    }
}

/// Appends to `out` the strings among the operands of the chain `node`,
/// skipping the operands of `stop` (the string's own operator), as the
/// reference joins them, within `budget` nodes.
fn concat(node: &Expr, stop: &Expr, out: &mut String, budget: &mut usize) {
    if std::ptr::eq(node, stop) || *budget == 0 {
        return;
    }
    *budget -= 1;
    if let Expr::BinOp(op) = node {
        for side in [&*op.left, &*op.right] {
            match side {
                Expr::BinOp(_) => concat(side, stop, out, budget),
                other => {
                    if let Some(text) = string(other) {
                        if out.len() >= CONCAT_TEXT {
                            *budget = 0;
                            return;
                        }
                        out.push(' ');
                        let mut end = text.len().min(CONCAT_TEXT);
                        while !text.is_char_boundary(end) {
                            end -= 1;
                        }
                        out.push_str(&text[..end]);
                    }
                }
            }
        }
    }
}

/// A constant as Python's `str()` writes it, for B105's message.
fn python_str(constant: &Constant) -> String {
    match constant {
        Constant::None => "None".into(),
        Constant::Bool(true) => "True".into(),
        Constant::Bool(false) => "False".into(),
        Constant::Str(text) => text.clone(),
        Constant::Int(int) => int.to_string(),
        Constant::Float(float) => float.to_string(),
        _ => "…".into(),
    }
}

/// A statement's byte range.
fn span(stmt: &Stmt) -> (usize, usize) {
    (stmt.start().to_usize(), stmt.end().to_usize())
}

/// Where a function's `def` starts (the reference reports B107 there, not at
/// its decorators).
fn def_start(stmt: &Stmt) -> usize {
    let start = stmt.start().to_usize();
    match stmt {
        Stmt::FunctionDef(def) => def
            .decorator_list
            .last()
            .map_or(start, |last| last.end().to_usize().max(start)),
        _ => start,
    }
}
