//! Reads a pickle opcode by opcode, never executing it: the listing as
//! `pickletools.dis` prints it (with `dis`' own stack emulation for the
//! `MARK` indentation and memo notes), and a symbolic unpickler (stack,
//! memo, marks) that names every import and call and writes what
//! `pickle.load` would do as Python.
//!
//! Everything it keeps is bounded: the listing, the stack, the marks, the
//! memo, the containers it remembers (a few items each), the imports, the
//! calls and the Python text; past a bound it stops remembering detail, or
//! (stack and marks) stops with an error, and never goes quadratic.

use std::collections::HashMap;
use std::rc::Rc;

use super::globals::classify;
use super::ops::{self, Arg, OpInfo};
use super::pyrepr::{self, Text};
use super::{Call, Import, LISTING_LIMIT, Op, ReadError, Report, Risk, Verdict};

/// Characters of one argument's repr kept in the listing.
pub(super) const ARG_REPR_LIMIT: usize = 16 * 1024;
/// The longest `LONG1`/`LONG4` argument (bytes) shown as an exact int.
const LONG_EXACT_BYTES: usize = 2048;
/// Bytes of long integers turned into decimal over a whole pickle (the
/// conversion is quadratic in each one's length).
const LONG_BUDGET: usize = 256 * 1024;
/// Items on the stack, all marks together, before reading stops.
const STACK_LIMIT: usize = 200_000;
/// Open `MARK`s before reading stops.
const MARK_LIMIT: usize = 10_000;
/// Memo entries remembered (more are counted, not kept).
const MEMO_LIMIT: usize = 200_000;
/// Containers remembered for the Python text.
const NODE_LIMIT: usize = 100_000;
/// Items of each container remembered.
const ITEMS_KEPT: usize = 8;
/// Characters of each string value remembered.
const TEXT_KEPT: usize = 200;
/// Bytes of each bytes value remembered.
const BYTES_KEPT: usize = 48;
/// Distinct globals remembered.
const GLOBAL_LIMIT: usize = 10_000;
/// Calls listed in the report.
const CALL_LIMIT: usize = 10_000;
/// Characters of the Python text.
const PYTHON_LIMIT: usize = 64 * 1024;
/// Characters of one rendered expression.
const EXPR_LIMIT: usize = 400;
/// Nesting rendered in one expression.
const EXPR_DEPTH: usize = 4;

/// A value on the symbolic stack.
#[derive(Debug, Clone)]
enum Value {
    /// `None`.
    None,
    /// `True`/`False`.
    Bool(bool),
    /// An int that fits in 64 bits.
    Small(i64),
    /// Any other int, as its decimal text.
    Int(Rc<str>),
    /// A float.
    Float(f64),
    /// A string: its first characters and its length.
    Str(Rc<str>, usize),
    /// A string with lone surrogates (which Rust strings cannot hold): its
    /// first code points and its length.
    Surrogates(Rc<[u32]>, usize),
    /// Bytes: the first ones and the length.
    Bytes(Rc<[u8]>, usize),
    /// A bytearray: the first bytes and the length.
    ByteArray(Rc<[u8]>, usize),
    /// The nth out-of-band buffer.
    Buffer(usize),
    /// A container in [`Machine::nodes`].
    Node(u32),
    /// A global in [`Machine::globals`].
    Global(u32),
    /// What a call returned: `_var`, made by calling the global `class`
    /// (`u32::MAX` when that is no global).
    Object {
        /// The variable number in the Python text.
        var: u32,
        /// The global called, if it was one.
        class: u32,
    },
    /// Something the inspector stopped keeping track of (over a bound).
    Elided,
}

/// A container the inspector remembers.
#[derive(Debug)]
enum Node {
    /// A list.
    List(Seq),
    /// A tuple.
    Tuple(Seq),
    /// A dict: keys and values alternate.
    Dict(Seq),
    /// A set.
    Set(Seq),
    /// A frozenset.
    FrozenSet(Seq),
}

/// A container's first items and how many more it has.
#[derive(Debug, Default)]
struct Seq {
    /// The first [`ITEMS_KEPT`] items (for a dict: keys and values).
    items: Vec<Value>,
    /// How many more it has.
    more: usize,
}

impl Seq {
    /// Adds one item, keeping at most `limit`.
    fn push(&mut self, v: Value, limit: usize) {
        if self.items.len() < limit {
            self.items.push(v);
        } else {
            self.more += 1;
        }
    }
}

/// A distinct global.
#[derive(Debug)]
struct Global {
    /// Its module.
    module: Rc<str>,
    /// Its name.
    name: Rc<str>,
    /// How risky it is.
    risk: Risk,
}

/// An opcode's argument as the symbolic machine uses it.
enum ArgVal {
    /// None.
    None,
    /// An int that fits.
    Small(i64),
    /// A bigger int as decimal text (or a note when too long to show).
    Int(Rc<str>),
    /// A bool (`INT` `00`/`01`).
    Bool(bool),
    /// A float.
    Float(f64),
    /// A string.
    Str(Text),
    /// Bytes (the first ones) and their length.
    Bytes(Rc<[u8]>, usize),
    /// A bytearray.
    ByteArray(Rc<[u8]>, usize),
    /// `GLOBAL`/`INST`'s module and name as the loader reads them (UTF-8).
    Names(String, String),
}

/// The symbolic unpickler and listing.
pub(super) struct Machine<'a> {
    /// The pickle.
    data: &'a [u8],
    /// Read position.
    pos: usize,
    /// The report being made.
    report: Report,
    /// Symbolic stack above the innermost mark.
    stack: Vec<Value>,
    /// The stacks below each open mark.
    metastack: Vec<Vec<Value>>,
    /// Items on all stacks together.
    items: usize,
    /// The memo.
    memo: HashMap<u64, Value>,
    /// How many memo entries there would be (MEMOIZE uses it).
    memo_len: u64,
    /// Whether some memo entries were not kept.
    memo_overflow: bool,
    /// Containers.
    nodes: Vec<Node>,
    /// Globals, distinct.
    globals: Vec<Global>,
    /// Index of each global.
    global_index: HashMap<(Rc<str>, Rc<str>), u32>,
    /// Variables made by calls.
    vars: u32,
    /// Out-of-band buffers referred to.
    buffers: usize,
    /// Python statements.
    python: Vec<String>,
    /// Characters in `python`.
    python_len: usize,
    /// Statements not written (over the limit).
    python_dropped: usize,
    /// Bytes of long ints converted so far.
    long_spent: usize,
    /// Whether any import or call was dangerous (kept or not).
    dangerous: bool,
    /// `pickletools.dis`' stack: non-mark items between marks.
    dis_segs: Vec<usize>,
    /// Its length (items and marks).
    dis_len: usize,
    /// `pickletools.dis`' mark positions.
    dis_marks: Vec<usize>,
}

impl<'a> Machine<'a> {
    /// A machine at the start of `data`.
    pub(super) fn new(data: &'a [u8]) -> Self {
        Self {
            data,
            pos: 0,
            report: Report {
                size: data.len(),
                protocol: None,
                listing: Vec::new(),
                op_count: 0,
                imports: Vec::new(),
                calls: Vec::new(),
                python: String::new(),
                verdict: Verdict::Data,
                error: None,
                call_count: 0,
                highest_protocol: None,
                trailing: 0,
                dis_error: None,
                dis_stop: None,
                stopped: false,
                name: None,
                human_listing: false,
            },
            stack: Vec::new(),
            metastack: Vec::new(),
            items: 0,
            memo: HashMap::new(),
            memo_len: 0,
            memo_overflow: false,
            nodes: Vec::new(),
            globals: Vec::new(),
            global_index: HashMap::new(),
            vars: 0,
            buffers: 0,
            python: Vec::new(),
            python_len: 0,
            python_dropped: 0,
            long_spent: 0,
            dangerous: false,
            dis_segs: vec![0],
            dis_len: 0,
            dis_marks: Vec::new(),
        }
    }

    /// Reads to `STOP` or the first error and returns the report.
    pub(super) fn run(mut self) -> Report {
        loop {
            let offset = self.pos;
            let Some(&code) = self.data.get(offset) else {
                self.fail(offset, "pickle exhausted before seeing STOP".into());
                break;
            };
            let Some(info) = ops::lookup(code) else {
                self.fail(
                    offset,
                    format!("at position {offset}, opcode b'\\x{code:02x}' unknown"),
                );
                break;
            };
            self.pos += 1;
            let listed = self.report.op_count < LISTING_LIMIT;
            let (arg, repr) = match self.read_arg(info, listed) {
                Ok(parsed) => parsed,
                Err(message) => {
                    self.fail(offset, message);
                    break;
                }
            };
            self.report.op_count += 1;
            let proto = self.report.highest_protocol.unwrap_or(0);
            self.report.highest_protocol = Some(proto.max(info.proto));
            let depth = self.dis_marks.len();
            let note = self.dis_step(info, &arg, offset);
            if listed {
                self.report.listing.push(Op {
                    offset,
                    name: info.name.to_string(),
                    argument: repr,
                    depth,
                    code: code_repr(info.code),
                    note,
                });
            }
            if let Err(message) = self.step(info, arg, offset) {
                self.fail(offset, message);
                break;
            }
            if info.name == "STOP" {
                self.report.stopped = true;
                self.report.trailing = self.data.len() - self.pos;
                if self.report.dis_error.is_none() && (self.dis_len != 0) {
                    self.report.dis_error = Some(format!(
                        "stack not empty after STOP ({} items)",
                        self.dis_len
                    ));
                }
                break;
            }
        }
        self.finish()
    }

    /// Records why reading stopped.
    fn fail(&mut self, offset: usize, message: String) {
        self.report.error = Some(ReadError { offset, message });
    }

    /// `n` bytes of argument for `name`.
    fn take(&mut self, n: u64, name: &str) -> Result<&'a [u8], String> {
        let left = self.data.len() - self.pos;
        if n > left as u64 {
            return Err(format!(
                "truncated: {name} needs {} more bytes",
                n - left as u64
            ));
        }
        let n = n as usize;
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// A little-endian unsigned int of `n` bytes.
    fn uint(&mut self, n: u64, name: &str) -> Result<u64, String> {
        let bytes = self.take(n, name)?;
        Ok(bytes
            .iter()
            .rev()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    /// A line without its newline.
    fn line(&mut self, name: &str) -> Result<&'a [u8], String> {
        let rest = &self.data[self.pos..];
        match rest.iter().position(|&b| b == b'\n') {
            Some(end) => {
                self.pos += end + 1;
                Ok(&rest[..end])
            }
            None => Err(format!(
                "truncated: no newline found when trying to read {name}'s argument"
            )),
        }
    }

    /// Reads `info`'s argument: its value, and its repr when `listed`.
    fn read_arg(
        &mut self,
        info: &OpInfo,
        listed: bool,
    ) -> Result<(ArgVal, Option<String>), String> {
        let name = info.name;
        let small = |v: i64| (ArgVal::Small(v), listed.then(|| v.to_string()));
        match info.arg {
            Arg::None => Ok((ArgVal::None, None)),
            Arg::Uint1 => Ok(small(self.uint(1, name)? as i64)),
            Arg::Uint2 => Ok(small(self.uint(2, name)? as i64)),
            Arg::Uint4 => Ok(small(self.uint(4, name)? as i64)),
            Arg::Int4 => Ok(small(i64::from(self.uint(4, name)? as u32 as i32))),
            Arg::Uint8 => {
                let v = self.uint(8, name)?;
                let repr = listed.then(|| v.to_string());
                Ok((
                    i64::try_from(v)
                        .map_or_else(|_| ArgVal::Int(v.to_string().into()), ArgVal::Small),
                    repr,
                ))
            }
            Arg::DecimalShort => {
                let line = self.line(name)?;
                match line {
                    b"00" => Ok((ArgVal::Bool(false), listed.then(|| "False".into()))),
                    b"01" => Ok((ArgVal::Bool(true), listed.then(|| "True".into()))),
                    _ => {
                        let text = pyrepr::parse_int(line).ok_or_else(|| {
                            format!("{name}: invalid literal for int(): {}", lossy(line))
                        })?;
                        Ok(int_arg(text, listed))
                    }
                }
            }
            Arg::DecimalLong => {
                let line = self.line(name)?;
                let line = line.strip_suffix(b"L").unwrap_or(line);
                let text = pyrepr::parse_int(line)
                    .ok_or_else(|| format!("{name}: invalid literal for int(): {}", lossy(line)))?;
                Ok(int_arg(text, listed))
            }
            Arg::Long1 | Arg::Long4 => {
                let n = if info.arg == Arg::Long1 {
                    self.uint(1, name)?
                } else {
                    let n = self.uint(4, name)? as u32 as i32;
                    if n < 0 {
                        return Err(format!("{name}: long4 byte count < 0: {n}"));
                    }
                    n as u64
                };
                let bytes = self.take(n, name)?;
                let exact =
                    bytes.len() <= LONG_EXACT_BYTES && self.long_spent + bytes.len() <= LONG_BUDGET;
                let text = if exact {
                    self.long_spent += bytes.len();
                    pyrepr::long_repr(bytes, LONG_EXACT_BYTES)
                } else {
                    None
                };
                let text = text.unwrap_or_else(|| format!("<an int of {} bytes>", bytes.len()));
                Ok(int_arg(text, listed))
            }
            Arg::StringNl => {
                let line = self.line(name)?;
                let quoted = [b'"', b'\'']
                    .iter()
                    .find(|&&q| line.first() == Some(&q))
                    .ok_or_else(|| format!("{name}: no string quotes around the argument"))?;
                if line.last() != Some(quoted) {
                    return Err(format!("{name}: string quote not found at both ends"));
                }
                let inner = if line.len() >= 2 {
                    &line[1..line.len() - 1]
                } else {
                    &[][..]
                };
                let mut text = Text::new(ARG_REPR_LIMIT);
                pyrepr::escape_decode_ascii(inner, &mut text)
                    .ok_or_else(|| format!("{name}: bad escape or non-ASCII byte in the string"))?;
                Ok(str_arg(text, listed))
            }
            Arg::String1 | Arg::String4 => {
                let n = if info.arg == Arg::String1 {
                    self.uint(1, name)?
                } else {
                    let n = self.uint(4, name)? as u32 as i32;
                    if n < 0 {
                        return Err(format!("{name}: string4 byte count < 0: {n}"));
                    }
                    n as u64
                };
                let bytes = self.take(n, name)?;
                let mut text = Text::new(ARG_REPR_LIMIT);
                bytes.iter().for_each(|&b| text.push(u32::from(b)));
                Ok(str_arg(text, listed))
            }
            Arg::Bytes1 | Arg::Bytes4 | Arg::Bytes8 | Arg::ByteArray8 => {
                let width = match info.arg {
                    Arg::Bytes1 => 1,
                    Arg::Bytes4 => 4,
                    _ => 8,
                };
                let n = self.uint(width, name)?;
                let bytes = self.take(n, name)?;
                let mut repr = String::new();
                let array = info.arg == Arg::ByteArray8;
                if listed {
                    if array {
                        repr.push_str("bytearray(");
                    }
                    let cut = pyrepr::bytes_repr(bytes, ARG_REPR_LIMIT, &mut repr);
                    if cut {
                        repr.push_str(&format!("... ({} bytes)", bytes.len()));
                    }
                    if array {
                        repr.push(')');
                    }
                }
                let kept: Rc<[u8]> = bytes[..bytes.len().min(BYTES_KEPT)].into();
                let val = if array {
                    ArgVal::ByteArray(kept, bytes.len())
                } else {
                    ArgVal::Bytes(kept, bytes.len())
                };
                Ok((val, listed.then_some(repr)))
            }
            Arg::UnicodeNl => {
                let line = self.line(name)?;
                let mut text = Text::new(ARG_REPR_LIMIT);
                pyrepr::raw_unicode_escape(line, &mut text)
                    .ok_or_else(|| format!("{name}: bad \\u escape in the string"))?;
                Ok(str_arg(text, listed))
            }
            Arg::Unicode1 | Arg::Unicode4 | Arg::Unicode8 => {
                let width = match info.arg {
                    Arg::Unicode1 => 1,
                    Arg::Unicode4 => 4,
                    _ => 8,
                };
                let n = self.uint(width, name)?;
                let at = self.pos;
                let bytes = self.take(n, name)?;
                let mut text = Text::new(ARG_REPR_LIMIT);
                pyrepr::utf8_surrogatepass(bytes, &mut text)
                    .map_err(|i| format!("{name}: invalid UTF-8 at offset {}", at + i))?;
                Ok(str_arg(text, listed))
            }
            Arg::FloatNl => {
                let line = self.line(name)?;
                let v = pyrepr::parse_float(line).ok_or_else(|| {
                    format!("{name}: could not convert string to float: {}", lossy(line))
                })?;
                Ok((ArgVal::Float(v), listed.then(|| pyrepr::float_repr(v))))
            }
            Arg::Float8 => {
                let bytes = self.take(8, name)?;
                let mut be = [0u8; 8];
                be.copy_from_slice(bytes);
                let v = f64::from_be_bytes(be);
                Ok((ArgVal::Float(v), listed.then(|| pyrepr::float_repr(v))))
            }
            Arg::NoEscape => {
                let line = self.line(name)?;
                let mut text = Text::new(ARG_REPR_LIMIT);
                pyrepr::escape_decode_ascii(line, &mut text)
                    .ok_or_else(|| format!("{name}: bad escape or non-ASCII byte in its id"))?;
                Ok(str_arg(text, listed))
            }
            Arg::NamePair => {
                let module = self.line(name)?;
                let attr = self.line(name)?;
                let mut text = Text::new(ARG_REPR_LIMIT);
                pyrepr::escape_decode_ascii(module, &mut text).ok_or_else(|| {
                    format!("{name}: non-ASCII byte or bad escape in the module name")
                })?;
                text.push(u32::from(b' '));
                pyrepr::escape_decode_ascii(attr, &mut text)
                    .ok_or_else(|| format!("{name}: non-ASCII byte or bad escape in the name"))?;
                let repr = listed.then(|| repr_text(&text));
                let utf8 = |b: &[u8]| {
                    std::str::from_utf8(b)
                        .map(str::to_string)
                        .map_err(|_| format!("{name}: the name is not UTF-8"))
                };
                Ok((ArgVal::Names(utf8(module)?, utf8(attr)?), repr))
            }
        }
    }

    /// `pickletools.dis`' own stack emulation for one opcode: the note it
    /// prints (`(MARK at 5)`, `(as 3)`) and its errors.
    fn dis_step(&mut self, info: &OpInfo, arg: &ArgVal, offset: usize) -> Option<String> {
        let mut note = None;
        let mut error = None;
        let mut pops = usize::from(info.pops);
        let top_is_mark = self.dis_segs.len() > 1 && self.dis_segs.last() == Some(&0);
        if info.takes_mark || (info.name == "POP" && self.dis_len > 0 && top_is_mark) {
            match self.dis_marks.pop() {
                Some(at) => {
                    note = Some(format!("(MARK at {at})"));
                    if self.dis_segs.len() > 1 {
                        let seg = self.dis_segs.pop().unwrap_or(0);
                        self.dis_len -= seg + 1;
                    } else {
                        error = Some("pop from empty list".to_string());
                    }
                    if info.name == "POP" {
                        pops = 0;
                    }
                }
                None => {
                    note = Some("no MARK exists on stack".into());
                    error = note.clone();
                }
            }
        }
        match info.name {
            "PUT" | "BINPUT" | "LONG_BINPUT" | "MEMOIZE" => {
                let key = if info.name == "MEMOIZE" {
                    note = Some(format!("(as {})", self.memo_len));
                    Some(self.memo_len)
                } else {
                    memo_key(arg)
                };
                let top_is_mark = self.dis_segs.len() > 1 && self.dis_segs.last() == Some(&0);
                if key.is_some_and(|k| self.memo.contains_key(&k)) {
                    error = Some(format!("memo key {key:?} already defined"));
                } else if self.dis_len == 0 {
                    error = Some("stack is empty -- can't store into memo".into());
                } else if top_is_mark {
                    error = Some("can't store markobject in the memo".into());
                }
            }
            "GET" | "BINGET" | "LONG_BINGET" => {
                let known = memo_key(arg).is_some_and(|k| self.memo.contains_key(&k));
                if !known && !self.memo_overflow {
                    error = Some(format!(
                        "memo key {:?} has never been stored into",
                        memo_key(arg)
                    ));
                }
            }
            _ => {}
        }
        if error.is_none() && self.dis_len < pops {
            error = Some(format!(
                "tries to pop {pops} items from stack with only {} items",
                self.dis_len
            ));
        }
        if error.is_none() {
            while pops > 0 {
                let last = self.dis_segs.last_mut().map_or(0, |l| *l);
                if last >= pops {
                    if let Some(l) = self.dis_segs.last_mut() {
                        *l -= pops;
                    }
                    self.dis_len -= pops;
                    pops = 0;
                } else {
                    pops -= last + 1;
                    self.dis_len -= last + 1;
                    self.dis_segs.pop();
                    if self.dis_segs.is_empty() {
                        self.dis_segs.push(0);
                    }
                }
            }
            if info.name == "MARK" {
                self.dis_marks.push(offset);
                self.dis_segs.push(0);
                self.dis_len += 1;
            } else if let Some(l) = self.dis_segs.last_mut() {
                *l += usize::from(info.pushes);
                self.dis_len += usize::from(info.pushes);
            }
        }
        if let Some(error) = error
            && self.report.dis_error.is_none()
        {
            self.report.dis_error = Some(format!("{error} (at offset {offset})"));
            self.report.dis_stop = Some(self.report.op_count - 1);
        }
        note
    }

    /// Pushes a value.
    fn push(&mut self, v: Value) -> Result<(), String> {
        if self.items >= STACK_LIMIT {
            return Err(format!(
                "more than {STACK_LIMIT} items on the stack: the inspector stops here"
            ));
        }
        self.items += 1;
        self.stack.push(v);
        Ok(())
    }

    /// Pops a value.
    fn pop(&mut self, name: &str) -> Result<Value, String> {
        let v = self
            .stack
            .pop()
            .ok_or_else(|| format!("{name} needs a value but the stack is empty"))?;
        self.items -= 1;
        Ok(v)
    }

    /// The top value.
    fn top(&self, name: &str) -> Result<&Value, String> {
        self.stack
            .last()
            .ok_or_else(|| format!("{name} needs a value but the stack is empty"))
    }

    /// Pops everything above the innermost mark, and the mark.
    fn pop_mark(&mut self, name: &str) -> Result<Vec<Value>, String> {
        let below = self
            .metastack
            .pop()
            .ok_or_else(|| format!("{name} needs a MARK but there is none"))?;
        let items = std::mem::replace(&mut self.stack, below);
        self.items -= items.len();
        Ok(items)
    }

    /// A container for the Python text, or [`Value::Elided`] past the bound.
    fn node(&mut self, node: Node) -> Value {
        if self.nodes.len() >= NODE_LIMIT {
            return Value::Elided;
        }
        self.nodes.push(node);
        Value::Node((self.nodes.len() - 1) as u32)
    }

    /// A sequence from values, keeping the first few.
    fn seq(items: Vec<Value>) -> Seq {
        let more = items.len().saturating_sub(ITEMS_KEPT);
        let mut items = items;
        items.truncate(ITEMS_KEPT);
        Seq { items, more }
    }

    /// The global `module.name`, recorded as an import the first time.
    fn global(&mut self, module: &str, name: &str, offset: usize) -> Value {
        if let Some(&i) = self.global_index.get(&(Rc::from(module), Rc::from(name))) {
            return Value::Global(i);
        }
        let (risk, why) = classify(module, name);
        self.dangerous |= risk != Risk::Data;
        if self.report.imports.len() < GLOBAL_LIMIT {
            self.report.imports.push(Import {
                module: module.to_string(),
                name: name.to_string(),
                offset,
                dangerous: risk != Risk::Data,
                risk,
                why,
            });
        }
        if self.globals.len() >= GLOBAL_LIMIT {
            return Value::Elided;
        }
        let (module, name): (Rc<str>, Rc<str>) = (module.into(), name.into());
        let i = self.globals.len() as u32;
        self.globals.push(Global {
            module: module.clone(),
            name: name.clone(),
            risk,
        });
        self.global_index.insert((module, name), i);
        Value::Global(i)
    }

    /// Records an import that could not be named (a computed name, an
    /// extension code): always dangerous.
    fn unnamed_import(&mut self, module: &str, name: &str, offset: usize, why: String) {
        self.dangerous = true;
        if self.report.imports.len() < GLOBAL_LIMIT {
            self.report.imports.push(Import {
                module: module.to_string(),
                name: name.to_string(),
                offset,
                dangerous: true,
                risk: Risk::Unknown,
                why,
            });
        }
    }

    /// A string value from a decoded argument.
    fn text_value(text: &Text) -> Value {
        let kept = &text.prefix[..text.prefix.len().min(TEXT_KEPT)];
        if kept.iter().any(|c| (0xd800..=0xdfff).contains(c)) {
            return Value::Surrogates(kept.into(), text.len);
        }
        let kept: String = kept
            .iter()
            .map(|&c| char::from_u32(c).unwrap_or('\u{fffd}'))
            .collect();
        Value::Str(kept.into(), text.len)
    }

    /// Runs one opcode on the symbolic machine.
    fn step(&mut self, info: &OpInfo, arg: ArgVal, offset: usize) -> Result<(), String> {
        let name = info.name;
        match name {
            "PROTO" => {
                let ArgVal::Small(p) = arg else { return Ok(()) };
                if p > 5 {
                    return Err(format!("unsupported pickle protocol: {p}"));
                }
                if self.report.protocol.is_none() {
                    self.report.protocol = Some(p as u8);
                }
            }
            "FRAME" => {}
            "STOP" => {
                let result = self.pop(name)?;
                let text = self.expr(&result);
                self.statement(format!("result = {text}"));
            }
            "MARK" => {
                if self.metastack.len() >= MARK_LIMIT {
                    return Err(format!(
                        "more than {MARK_LIMIT} nested MARKs: the inspector stops here"
                    ));
                }
                let stack = std::mem::take(&mut self.stack);
                self.metastack.push(stack);
            }
            "POP" => {
                if self.stack.is_empty() {
                    self.pop_mark(name)?;
                } else {
                    self.pop(name)?;
                }
            }
            "POP_MARK" => {
                self.pop_mark(name)?;
            }
            "DUP" => {
                let v = self.top(name)?.clone();
                self.push(v)?;
            }
            "INT" | "BININT" | "BININT1" | "BININT2" | "LONG" | "LONG1" | "LONG4" => {
                let v = match arg {
                    ArgVal::Small(v) => Value::Small(v),
                    ArgVal::Bool(b) => Value::Bool(b),
                    ArgVal::Int(t) => Value::Int(t),
                    _ => Value::Elided,
                };
                self.push(v)?;
            }
            "STRING" | "BINSTRING" | "SHORT_BINSTRING" | "UNICODE" | "SHORT_BINUNICODE"
            | "BINUNICODE" | "BINUNICODE8" => {
                let v = match &arg {
                    ArgVal::Str(text) => Self::text_value(text),
                    _ => Value::Elided,
                };
                self.push(v)?;
            }
            "BINBYTES" | "SHORT_BINBYTES" | "BINBYTES8" | "BYTEARRAY8" => {
                let v = match arg {
                    ArgVal::Bytes(b, n) => Value::Bytes(b, n),
                    ArgVal::ByteArray(b, n) => Value::ByteArray(b, n),
                    _ => Value::Elided,
                };
                self.push(v)?;
            }
            "NEXT_BUFFER" => {
                let n = self.buffers;
                self.buffers += 1;
                self.push(Value::Buffer(n))?;
            }
            "READONLY_BUFFER" => {
                self.top(name)?;
            }
            "NONE" => self.push(Value::None)?,
            "NEWTRUE" => self.push(Value::Bool(true))?,
            "NEWFALSE" => self.push(Value::Bool(false))?,
            "FLOAT" | "BINFLOAT" => {
                let ArgVal::Float(v) = arg else { return Ok(()) };
                self.push(Value::Float(v))?;
            }
            "EMPTY_LIST" => {
                let v = self.node(Node::List(Seq::default()));
                self.push(v)?;
            }
            "EMPTY_TUPLE" => {
                let v = self.node(Node::Tuple(Seq::default()));
                self.push(v)?;
            }
            "EMPTY_DICT" => {
                let v = self.node(Node::Dict(Seq::default()));
                self.push(v)?;
            }
            "EMPTY_SET" => {
                let v = self.node(Node::Set(Seq::default()));
                self.push(v)?;
            }
            "LIST" | "TUPLE" | "DICT" | "FROZENSET" => {
                let items = self.pop_mark(name)?;
                if name == "DICT" && items.len() % 2 == 1 {
                    return Err("DICT needs an even number of items (keys and values)".into());
                }
                let seq = if name == "DICT" {
                    let more = items.len().saturating_sub(2 * ITEMS_KEPT) / 2;
                    let mut items = items;
                    items.truncate(2 * ITEMS_KEPT);
                    Seq { items, more }
                } else {
                    Self::seq(items)
                };
                let node = match name {
                    "LIST" => Node::List(seq),
                    "TUPLE" => Node::Tuple(seq),
                    "DICT" => Node::Dict(seq),
                    _ => Node::FrozenSet(seq),
                };
                let v = self.node(node);
                self.push(v)?;
            }
            "TUPLE1" | "TUPLE2" | "TUPLE3" => {
                let n = usize::from(info.pops);
                if self.stack.len() < n {
                    return Err(format!("{name} needs {n} values on the stack"));
                }
                let items = self.stack.split_off(self.stack.len() - n);
                self.items -= n;
                let v = self.node(Node::Tuple(Self::seq(items)));
                self.push(v)?;
            }
            "APPEND" => {
                let v = self.pop(name)?;
                let target = self.top(name)?.clone();
                self.add_items(&target, vec![v], name)?;
            }
            "APPENDS" | "ADDITEMS" => {
                let items = self.pop_mark(name)?;
                let target = self.top(name)?.clone();
                self.add_items(&target, items, name)?;
            }
            "SETITEM" => {
                let value = self.pop(name)?;
                let key = self.pop(name)?;
                let target = self.top(name)?.clone();
                self.add_items(&target, vec![key, value], name)?;
            }
            "SETITEMS" => {
                let items = self.pop_mark(name)?;
                if items.len() % 2 == 1 {
                    return Err("SETITEMS needs an even number of items (keys and values)".into());
                }
                let target = self.top(name)?.clone();
                self.add_items(&target, items, name)?;
            }
            "GET" | "BINGET" | "LONG_BINGET" => {
                let key = memo_key(&arg);
                let v = match key.and_then(|k| self.memo.get(&k)) {
                    Some(v) => v.clone(),
                    None if self.memo_overflow => Value::Elided,
                    None => {
                        return Err(format!(
                            "{name}: memo value not found at index {}",
                            key.map_or_else(|| "?".into(), |k| k.to_string())
                        ));
                    }
                };
                self.push(v)?;
            }
            "PUT" | "BINPUT" | "LONG_BINPUT" | "MEMOIZE" => {
                let key = if name == "MEMOIZE" {
                    Some(self.memo_len)
                } else {
                    memo_key(&arg)
                };
                let key = key.ok_or_else(|| format!("{name}: negative or bad memo index"))?;
                let v = self.top(name)?.clone();
                if self.memo.len() < MEMO_LIMIT || self.memo.contains_key(&key) {
                    if self.memo.insert(key, v).is_none() {
                        self.memo_len += 1;
                    }
                } else {
                    self.memo_overflow = true;
                    self.memo_len += 1;
                }
            }
            "EXT1" | "EXT2" | "EXT4" => {
                let ArgVal::Small(code) = arg else {
                    return Ok(());
                };
                self.unnamed_import(
                    "copyreg._extension_registry",
                    &code.to_string(),
                    offset,
                    format!("extension code {code}: a global registered with copyreg, unknown until load time"),
                );
                self.push(Value::Elided)?;
            }
            "GLOBAL" => {
                let ArgVal::Names(module, attr) = arg else {
                    return Ok(());
                };
                let v = self.global(&module, &attr, offset);
                self.push(v)?;
            }
            "STACK_GLOBAL" => {
                let attr = self.pop(name)?;
                let module = self.pop(name)?;
                let v = match (&module, &attr) {
                    (Value::Str(m, ml), Value::Str(a, al))
                        if m.chars().count() == *ml && a.chars().count() == *al =>
                    {
                        let (m, a) = (m.clone(), a.clone());
                        self.global(&m, &a, offset)
                    }
                    (
                        Value::Str(..) | Value::Surrogates(..),
                        Value::Str(..) | Value::Surrogates(..),
                    ) => {
                        self.unnamed_import(
                            "?",
                            "?",
                            offset,
                            "a global whose name is too long to keep".into(),
                        );
                        Value::Elided
                    }
                    (Value::Elided, _) | (_, Value::Elided) => {
                        self.unnamed_import(
                            "?",
                            "?",
                            offset,
                            "a global whose name the inspector lost track of".into(),
                        );
                        Value::Elided
                    }
                    _ => return Err("STACK_GLOBAL requires str".into()),
                };
                self.push(v)?;
            }
            "INST" => {
                let ArgVal::Names(module, attr) = arg else {
                    return Ok(());
                };
                let args = self.pop_mark(name)?;
                let class = self.global(&module, &attr, offset);
                let shown = self.args_text(&args);
                let refs: Vec<&Value> = args.iter().collect();
                let v = self.call(offset, &class, shown, None, &refs)?;
                self.push(v)?;
            }
            "OBJ" => {
                let mut args = self.pop_mark(name)?;
                if args.is_empty() {
                    return Err("OBJ needs a class after its MARK".into());
                }
                let class = args.remove(0);
                let shown = self.args_text(&args);
                let refs: Vec<&Value> = args.iter().collect();
                let v = self.call(offset, &class, shown, None, &refs)?;
                self.push(v)?;
            }
            "REDUCE" => {
                let args = self.pop(name)?;
                let func = self.pop(name)?;
                let shown = self.tuple_args(&args);
                let v = self.call(offset, &func, shown, None, &[&args])?;
                self.push(v)?;
            }
            "NEWOBJ" | "NEWOBJ_EX" => {
                let kwargs = if name == "NEWOBJ_EX" {
                    Some(self.pop(name)?)
                } else {
                    None
                };
                let args = self.pop(name)?;
                let class = self.pop(name)?;
                let class_text = self.expr(&class);
                let mut shown = class_text;
                let rest = self.tuple_args(&args);
                if !rest.is_empty() {
                    shown.push_str(", ");
                    shown.push_str(&rest);
                }
                if let Some(kwargs) = kwargs {
                    let k = self.kwargs_text(&kwargs);
                    if !k.is_empty() {
                        shown.push_str(", ");
                        shown.push_str(&k);
                    }
                }
                let v = self.call(offset, &class, shown, Some("__new__"), &[&args])?;
                self.push(v)?;
            }
            "BUILD" => {
                let state = self.pop(name)?;
                let target = self.top(name)?.clone();
                self.build(offset, &target, &state);
            }
            "PERSID" | "BINPERSID" => {
                let pid = if name == "PERSID" {
                    match &arg {
                        ArgVal::Str(text) => Self::text_value(text),
                        _ => Value::Elided,
                    }
                } else {
                    self.pop(name)?
                };
                let pid_text = self.expr(&pid);
                self.vars += 1;
                let var = self.vars;
                let python = format!("persistent_load({pid_text})");
                self.record_call(Call {
                    offset,
                    callable: "persistent_load".into(),
                    python: python.clone(),
                    dangerous: false,
                    strings: Vec::new(),
                });
                self.statement(format!(
                    "_{var} = {python}  # the loader's persistent_load decides what this is"
                ));
                self.push(Value::Object {
                    var,
                    class: u32::MAX,
                })?;
            }
            _ => return Err(format!("{name} is not handled")),
        }
        Ok(())
    }

    /// Adds items to a list, set or dict value (`APPEND`, `SETITEMS`…).
    fn add_items(&mut self, target: &Value, items: Vec<Value>, name: &str) -> Result<(), String> {
        match target {
            Value::Node(i) => {
                let Some(node) = self.nodes.get_mut(*i as usize) else {
                    return Ok(());
                };
                match (node, name) {
                    (Node::List(seq), "APPEND" | "APPENDS") | (Node::Set(seq), "ADDITEMS") => {
                        items.into_iter().for_each(|v| seq.push(v, ITEMS_KEPT));
                    }
                    (Node::Dict(seq), "SETITEM" | "SETITEMS") => {
                        for pair in items.chunks(2) {
                            if seq.items.len() < 2 * ITEMS_KEPT {
                                seq.items.extend(pair.iter().cloned());
                            } else {
                                seq.more += 1;
                            }
                        }
                    }
                    _ => return Err(format!("{name} on a value it does not apply to")),
                }
            }
            Value::Object { var, class } => {
                // The object's own append/__setitem__ runs: its class's code.
                let class_name = self.class_name(*class);
                let text = items
                    .iter()
                    .map(|v| self.expr(v))
                    .collect::<Vec<_>>()
                    .join(", ");
                let method = if name.starts_with("SET") {
                    "__setitem__"
                } else {
                    "extend"
                };
                let python = format!("_{var}.{method}({text})");
                let dangerous = self.class_risk(*class) != Risk::Data;
                self.record_call(Call {
                    offset: self.pos,
                    callable: format!("{class_name}.{method}"),
                    python: python.clone(),
                    dangerous,
                    strings: Vec::new(),
                });
                self.statement(python);
            }
            Value::Elided => {}
            _ => return Err(format!("{name} on a value it does not apply to")),
        }
        Ok(())
    }

    /// The dotted name of global `i`.
    fn class_name(&self, i: u32) -> String {
        self.globals
            .get(i as usize)
            .map_or_else(|| "<object>".into(), |g| format!("{}.{}", g.module, g.name))
    }

    /// The risk of global `i` ([`Risk::Unknown`] when it is none).
    fn class_risk(&self, i: u32) -> Risk {
        self.globals
            .get(i as usize)
            .map_or(Risk::Unknown, |g| g.risk)
    }

    /// A call of `func` with `args` (already Python text); `method` is
    /// `__new__` for `NEWOBJ`. Returns the value it makes.
    fn call(
        &mut self,
        offset: usize,
        func: &Value,
        args: String,
        method: Option<&str>,
        values: &[&Value],
    ) -> Result<Value, String> {
        let mut strings = Vec::new();
        for v in values {
            self.strings_in(v, 0, &mut strings);
        }
        let (callable, risk, class) = match func {
            Value::Global(i) => (self.class_name(*i), self.class_risk(*i), *i),
            other => (self.expr(other), Risk::Unknown, u32::MAX),
        };
        let callable = match method {
            Some(m) => format!("{callable}.{m}"),
            None => callable,
        };
        self.vars += 1;
        let var = self.vars;
        let python = format!("{callable}({args})");
        self.record_call(Call {
            offset,
            callable,
            python: python.clone(),
            dangerous: risk != Risk::Data,
            strings,
        });
        self.statement(format!("_{var} = {python}"));
        Ok(Value::Object { var, class })
    }

    /// Collects the strings in `v` (and its items, two levels down).
    fn strings_in(&self, v: &Value, depth: usize, out: &mut Vec<String>) {
        if out.len() >= 8 {
            return;
        }
        match v {
            Value::Str(s, _) => out.push(s.to_string()),
            Value::Node(i) if depth < 2 => {
                if let Some(
                    Node::List(seq) | Node::Tuple(seq) | Node::Set(seq) | Node::FrozenSet(seq),
                ) = self.nodes.get(*i as usize)
                {
                    for item in &seq.items {
                        self.strings_in(item, depth + 1, out);
                    }
                }
            }
            _ => {}
        }
    }

    /// `BUILD`: sets an object's state.
    fn build(&mut self, offset: usize, target: &Value, state: &Value) {
        let state_text = self.expr(state);
        let (callable, dangerous, python) = match target {
            Value::Object { var, class } => (
                format!("{}.__setstate__", self.class_name(*class)),
                self.class_risk(*class) != Risk::Data,
                format!("_{var}.__setstate__({state_text})"),
            ),
            Value::Global(i) => {
                // Setting attributes on a module-level object: changes the program.
                let name = self.class_name(*i);
                (
                    format!("{name}.__setstate__"),
                    true,
                    format!("vars({name}).update({state_text})"),
                )
            }
            other => {
                let text = self.expr(other);
                (
                    "__setstate__".into(),
                    false,
                    format!("{text}.__setstate__({state_text})"),
                )
            }
        };
        self.record_call(Call {
            offset,
            callable,
            python: python.clone(),
            dangerous,
            strings: Vec::new(),
        });
        self.statement(python);
    }

    /// Keeps a call (up to the bound) and counts it.
    fn record_call(&mut self, mut call: Call) {
        self.report.call_count += 1;
        self.dangerous |= call.dangerous;
        if self.report.calls.len() < CALL_LIMIT {
            truncate_chars(&mut call.python, EXPR_LIMIT * 2);
            self.report.calls.push(call);
        }
    }

    /// Adds a line to the Python text (up to the bound).
    fn statement(&mut self, line: String) {
        if self.python_len + line.len() > PYTHON_LIMIT {
            self.python_dropped += 1;
            return;
        }
        self.python_len += line.len() + 1;
        self.python.push(line);
    }

    /// A call's arguments from a tuple value (`f(*args)`).
    fn tuple_args(&self, args: &Value) -> String {
        match args {
            Value::Node(i) => match self.nodes.get(*i as usize) {
                Some(Node::Tuple(seq)) => self.seq_text(seq, 0),
                _ => format!("*{}", self.expr(args)),
            },
            _ => format!("*{}", self.expr(args)),
        }
    }

    /// A call's arguments from a list of values.
    fn args_text(&self, args: &[Value]) -> String {
        let seq = Seq {
            items: args.iter().take(ITEMS_KEPT).cloned().collect(),
            more: args.len().saturating_sub(ITEMS_KEPT),
        };
        self.seq_text(&seq, 0)
    }

    /// Keyword arguments from a dict value.
    fn kwargs_text(&self, kwargs: &Value) -> String {
        if let Value::Node(i) = kwargs
            && let Some(Node::Dict(seq)) = self.nodes.get(*i as usize)
            && seq.items.is_empty()
            && seq.more == 0
        {
            return String::new();
        }
        format!("**{}", self.expr(kwargs))
    }

    /// A value as a Python expression.
    fn expr(&self, v: &Value) -> String {
        let mut out = String::new();
        self.render(v, 0, &mut out);
        out
    }

    /// Items as comma-separated expressions.
    fn seq_text(&self, seq: &Seq, depth: usize) -> String {
        let mut out = String::new();
        self.render_items(&seq.items, seq.more, depth, &mut out);
        out
    }

    /// Renders items `a, b, ...` into `out`.
    fn render_items(&self, items: &[Value], more: usize, depth: usize, out: &mut String) {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            if out.len() > EXPR_LIMIT {
                out.push_str("...");
                return;
            }
            self.render(item, depth + 1, out);
        }
        if more > 0 {
            out.push_str(if items.is_empty() { "..." } else { ", ..." });
        }
    }

    /// Renders `v` into `out`.
    fn render(&self, v: &Value, depth: usize, out: &mut String) {
        use std::fmt::Write;
        match v {
            Value::None => out.push_str("None"),
            Value::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
            Value::Small(n) => {
                let _ = write!(out, "{n}");
            }
            Value::Int(t) => out.push_str(&short(t, 60)),
            Value::Float(f) => out.push_str(&pyrepr::float_repr(*f)),
            Value::Surrogates(chars, len) => {
                let mut text = Text::new(160);
                chars.iter().for_each(|&c| text.push(c));
                let mut repr = String::new();
                if pyrepr::str_repr(&text, 240, &mut repr) || *len > text.len {
                    let _ = write!(repr, "… ({len} characters)");
                }
                out.push_str(&repr);
            }
            Value::Str(s, len) => {
                let mut text = Text::new(160);
                s.chars().for_each(|c| text.push(u32::from(c)));
                let mut repr = String::new();
                let cut = pyrepr::str_repr(&text, 240, &mut repr);
                if cut || *len > text.len {
                    let quote = if repr.starts_with('"') { '"' } else { '\'' };
                    if !cut {
                        repr.pop();
                    }
                    let _ = write!(repr, "…{quote} ({len} characters)");
                }
                out.push_str(&repr);
            }
            Value::Bytes(b, len) | Value::ByteArray(b, len) => {
                let array = matches!(v, Value::ByteArray(..));
                if array {
                    out.push_str("bytearray(");
                }
                let shown = &b[..b.len().min(24)];
                pyrepr::bytes_repr(shown, 120, out);
                if *len > shown.len() {
                    let _ = write!(out, "…({len} bytes)");
                }
                if array {
                    out.push(')');
                }
            }
            Value::Buffer(n) => {
                let _ = write!(out, "buffers[{n}]");
            }
            Value::Global(i) => out.push_str(&self.class_name(*i)),
            Value::Object { var, .. } => {
                let _ = write!(out, "_{var}");
            }
            Value::Elided => out.push_str("..."),
            Value::Node(i) => {
                let Some(node) = self.nodes.get(*i as usize) else {
                    out.push_str("...");
                    return;
                };
                if depth >= EXPR_DEPTH || out.len() > EXPR_LIMIT {
                    out.push_str("...");
                    return;
                }
                match node {
                    Node::List(seq) => {
                        out.push('[');
                        self.render_items(&seq.items, seq.more, depth, out);
                        out.push(']');
                    }
                    Node::Tuple(seq) => {
                        out.push('(');
                        self.render_items(&seq.items, seq.more, depth, out);
                        if seq.items.len() == 1 && seq.more == 0 {
                            out.push(',');
                        }
                        out.push(')');
                    }
                    Node::Set(seq) | Node::FrozenSet(seq) => {
                        let frozen = matches!(node, Node::FrozenSet(_));
                        let empty = seq.items.is_empty() && seq.more == 0;
                        match (frozen, empty) {
                            (false, true) => out.push_str("set()"),
                            (true, true) => out.push_str("frozenset()"),
                            _ => {
                                if frozen {
                                    out.push_str("frozenset(");
                                }
                                out.push('{');
                                self.render_items(&seq.items, seq.more, depth, out);
                                out.push('}');
                                if frozen {
                                    out.push(')');
                                }
                            }
                        }
                    }
                    Node::Dict(seq) => {
                        out.push('{');
                        for (i, pair) in seq.items.chunks(2).enumerate() {
                            if i > 0 {
                                out.push_str(", ");
                            }
                            if out.len() > EXPR_LIMIT {
                                out.push_str("...: ...");
                                break;
                            }
                            self.render(&pair[0], depth + 1, out);
                            out.push_str(": ");
                            if let Some(value) = pair.get(1) {
                                self.render(value, depth + 1, out);
                            }
                        }
                        if seq.more > 0 {
                            out.push_str(if seq.items.is_empty() {
                                "...: ..."
                            } else {
                                ", ...: ..."
                            });
                        }
                        out.push('}');
                    }
                }
            }
        }
    }

    /// The report: the Python text, the verdict.
    fn finish(mut self) -> Report {
        let mut python = String::new();
        let mut modules: Vec<&str> = Vec::new();
        for import in &self.report.imports {
            if !modules.contains(&import.module.as_str()) && modules.len() < 1000 {
                modules.push(&import.module);
            }
        }
        for module in modules {
            if module.split('.').all(is_identifier) {
                python.push_str(&format!("import {module}\n"));
            } else {
                let mut text = Text::new(200);
                module.chars().for_each(|c| text.push(u32::from(c)));
                python.push_str(&format!(
                    "# imports from a module named {}\n",
                    repr_text(&text)
                ));
            }
        }
        if self.buffers > 0 {
            python.push_str(&format!(
                "# out-of-band data: pickle.load(file, buffers=buffers) with {} buffer(s)\n",
                self.buffers
            ));
        }
        for line in &self.python {
            python.push_str(line);
            python.push('\n');
        }
        if self.python_dropped > 0 {
            python.push_str(&format!("# … {} more statements\n", self.python_dropped));
        }
        if let Some(error) = &self.report.error {
            python.push_str(&format!(
                "# reading stopped at offset {}: {}\n",
                error.offset, error.message
            ));
        }
        self.report.python = python;
        self.report.verdict = if self.dangerous {
            Verdict::Dangerous
        } else if self.report.error.is_some() {
            Verdict::Malformed
        } else if !self.report.imports.is_empty() || self.report.call_count > 0 {
            Verdict::Objects
        } else {
            Verdict::Data
        };
        self.report
    }
}

/// A memo index from an argument; `None` if negative or not an int.
fn memo_key(arg: &ArgVal) -> Option<u64> {
    match arg {
        ArgVal::Small(v) => u64::try_from(*v).ok(),
        ArgVal::Bool(b) => Some(u64::from(*b)),
        ArgVal::Int(t) => t.parse().ok(),
        _ => None,
    }
}

/// An int argument from its decimal text.
fn int_arg(text: String, listed: bool) -> (ArgVal, Option<String>) {
    let repr = listed.then(|| text.clone());
    let val = text
        .parse::<i64>()
        .map_or_else(|_| ArgVal::Int(text.into()), ArgVal::Small);
    (val, repr)
}

/// A string argument and its repr.
fn str_arg(text: Text, listed: bool) -> (ArgVal, Option<String>) {
    let repr = listed.then(|| repr_text(&text));
    (ArgVal::Str(text), repr)
}

/// `repr()` of a text, with a note when cut.
fn repr_text(text: &Text) -> String {
    let mut out = String::new();
    if pyrepr::str_repr(text, ARG_REPR_LIMIT, &mut out) {
        out.push_str(&format!("... ({} characters)", text.len));
    }
    out
}

/// `repr(opcode.code)[1:-1]`: how `pickletools.dis` shows an opcode byte.
fn code_repr(code: u8) -> String {
    match code {
        b'\\' => "\\\\".into(),
        b'\'' => "\\'".into(),
        0x20..=0x7e => char::from(code).to_string(),
        _ => format!("\\x{code:02x}"),
    }
}

/// Bytes for an error message, cut short.
fn lossy(b: &[u8]) -> String {
    let mut s = String::from_utf8_lossy(&b[..b.len().min(40)]).into_owned();
    if b.len() > 40 {
        s.push('…');
    }
    s
}

/// The first `n` characters of `s`.
fn short(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().nth(n).is_some() {
        out.push('…');
    }
    out
}

/// Cuts `s` to at most `n` bytes on a character boundary.
fn truncate_chars(s: &mut String, n: usize) {
    if s.len() > n {
        let mut end = n;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
}

/// Whether `s` is a Python identifier (ASCII letters, digits, `_`).
fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars().all(|c| c.is_alphanumeric() || c == '_')
}
