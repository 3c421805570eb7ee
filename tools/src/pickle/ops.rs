//! The opcodes of pickle protocols 0–5 as CPython 3.11's `pickletools.opcodes`
//! lists them: byte, name, argument, protocol and stack effect (what
//! `pickletools.dis` uses to indent `MARK` blocks).

/// How an opcode's argument is encoded in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Arg {
    /// No argument.
    None,
    /// `uint1`.
    Uint1,
    /// `uint2`.
    Uint2,
    /// `int4`.
    Int4,
    /// `uint4`.
    Uint4,
    /// `uint8`.
    Uint8,
    /// `decimalnl_short`: an int (or `00`/`01` for False/True) and a newline.
    DecimalShort,
    /// `decimalnl_long`: an int, maybe with an `L`, and a newline.
    DecimalLong,
    /// `long1`.
    Long1,
    /// `long4`.
    Long4,
    /// `stringnl`: a quoted, escaped string and a newline.
    StringNl,
    /// `string1`.
    String1,
    /// `string4`.
    String4,
    /// `bytes1`.
    Bytes1,
    /// `bytes4`.
    Bytes4,
    /// `bytes8`.
    Bytes8,
    /// `bytearray8`.
    ByteArray8,
    /// `unicodestringnl`: raw-unicode-escape text and a newline.
    UnicodeNl,
    /// `unicodestring1`.
    Unicode1,
    /// `unicodestring4`.
    Unicode4,
    /// `unicodestring8`.
    Unicode8,
    /// `floatnl`.
    FloatNl,
    /// `float8`.
    Float8,
    /// `stringnl_noescape`: one line.
    NoEscape,
    /// `stringnl_noescape_pair`: two lines (module and name).
    NamePair,
}

/// One opcode.
#[derive(Debug, Clone, Copy)]
pub(super) struct OpInfo {
    /// Its byte.
    pub code: u8,
    /// Its name.
    pub name: &'static str,
    /// Its argument.
    pub arg: Arg,
    /// The protocol that introduced it.
    pub proto: u8,
    /// How many stack items `pickletools.dis` pops below a mark (or in all
    /// when it takes no mark).
    pub pops: u8,
    /// Whether it pops a mark and everything above it.
    pub takes_mark: bool,
    /// How many items it pushes.
    pub pushes: u8,
}

/// Every opcode, in `pickletools.opcodes` order.
pub(super) const OPCODES: &[OpInfo] = &[
    OpInfo { code: 0x49, name: "INT", arg: Arg::DecimalShort, proto: 0, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x4a, name: "BININT", arg: Arg::Int4, proto: 1, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x4b, name: "BININT1", arg: Arg::Uint1, proto: 1, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x4d, name: "BININT2", arg: Arg::Uint2, proto: 1, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x4c, name: "LONG", arg: Arg::DecimalLong, proto: 0, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x8a, name: "LONG1", arg: Arg::Long1, proto: 2, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x8b, name: "LONG4", arg: Arg::Long4, proto: 2, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x53, name: "STRING", arg: Arg::StringNl, proto: 0, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x54, name: "BINSTRING", arg: Arg::String4, proto: 1, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x55, name: "SHORT_BINSTRING", arg: Arg::String1, proto: 1, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x42, name: "BINBYTES", arg: Arg::Bytes4, proto: 3, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x43, name: "SHORT_BINBYTES", arg: Arg::Bytes1, proto: 3, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x8e, name: "BINBYTES8", arg: Arg::Bytes8, proto: 4, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x96, name: "BYTEARRAY8", arg: Arg::ByteArray8, proto: 5, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x97, name: "NEXT_BUFFER", arg: Arg::None, proto: 5, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x98, name: "READONLY_BUFFER", arg: Arg::None, proto: 5, pops: 1, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x4e, name: "NONE", arg: Arg::None, proto: 0, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x88, name: "NEWTRUE", arg: Arg::None, proto: 2, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x89, name: "NEWFALSE", arg: Arg::None, proto: 2, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x56, name: "UNICODE", arg: Arg::UnicodeNl, proto: 0, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x8c, name: "SHORT_BINUNICODE", arg: Arg::Unicode1, proto: 4, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x58, name: "BINUNICODE", arg: Arg::Unicode4, proto: 1, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x8d, name: "BINUNICODE8", arg: Arg::Unicode8, proto: 4, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x46, name: "FLOAT", arg: Arg::FloatNl, proto: 0, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x47, name: "BINFLOAT", arg: Arg::Float8, proto: 1, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x5d, name: "EMPTY_LIST", arg: Arg::None, proto: 1, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x61, name: "APPEND", arg: Arg::None, proto: 0, pops: 2, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x65, name: "APPENDS", arg: Arg::None, proto: 1, pops: 1, takes_mark: true, pushes: 1 },
    OpInfo { code: 0x6c, name: "LIST", arg: Arg::None, proto: 0, pops: 0, takes_mark: true, pushes: 1 },
    OpInfo { code: 0x29, name: "EMPTY_TUPLE", arg: Arg::None, proto: 1, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x74, name: "TUPLE", arg: Arg::None, proto: 0, pops: 0, takes_mark: true, pushes: 1 },
    OpInfo { code: 0x85, name: "TUPLE1", arg: Arg::None, proto: 2, pops: 1, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x86, name: "TUPLE2", arg: Arg::None, proto: 2, pops: 2, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x87, name: "TUPLE3", arg: Arg::None, proto: 2, pops: 3, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x7d, name: "EMPTY_DICT", arg: Arg::None, proto: 1, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x64, name: "DICT", arg: Arg::None, proto: 0, pops: 0, takes_mark: true, pushes: 1 },
    OpInfo { code: 0x73, name: "SETITEM", arg: Arg::None, proto: 0, pops: 3, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x75, name: "SETITEMS", arg: Arg::None, proto: 1, pops: 1, takes_mark: true, pushes: 1 },
    OpInfo { code: 0x8f, name: "EMPTY_SET", arg: Arg::None, proto: 4, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x90, name: "ADDITEMS", arg: Arg::None, proto: 4, pops: 1, takes_mark: true, pushes: 1 },
    OpInfo { code: 0x91, name: "FROZENSET", arg: Arg::None, proto: 4, pops: 0, takes_mark: true, pushes: 1 },
    OpInfo { code: 0x30, name: "POP", arg: Arg::None, proto: 0, pops: 1, takes_mark: false, pushes: 0 },
    OpInfo { code: 0x32, name: "DUP", arg: Arg::None, proto: 0, pops: 1, takes_mark: false, pushes: 2 },
    OpInfo { code: 0x28, name: "MARK", arg: Arg::None, proto: 0, pops: 0, takes_mark: false, pushes: 0 },
    OpInfo { code: 0x31, name: "POP_MARK", arg: Arg::None, proto: 1, pops: 0, takes_mark: true, pushes: 0 },
    OpInfo { code: 0x67, name: "GET", arg: Arg::DecimalShort, proto: 0, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x68, name: "BINGET", arg: Arg::Uint1, proto: 1, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x6a, name: "LONG_BINGET", arg: Arg::Uint4, proto: 1, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x70, name: "PUT", arg: Arg::DecimalShort, proto: 0, pops: 0, takes_mark: false, pushes: 0 },
    OpInfo { code: 0x71, name: "BINPUT", arg: Arg::Uint1, proto: 1, pops: 0, takes_mark: false, pushes: 0 },
    OpInfo { code: 0x72, name: "LONG_BINPUT", arg: Arg::Uint4, proto: 1, pops: 0, takes_mark: false, pushes: 0 },
    OpInfo { code: 0x94, name: "MEMOIZE", arg: Arg::None, proto: 4, pops: 1, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x82, name: "EXT1", arg: Arg::Uint1, proto: 2, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x83, name: "EXT2", arg: Arg::Uint2, proto: 2, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x84, name: "EXT4", arg: Arg::Int4, proto: 2, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x63, name: "GLOBAL", arg: Arg::NamePair, proto: 0, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x93, name: "STACK_GLOBAL", arg: Arg::None, proto: 4, pops: 2, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x52, name: "REDUCE", arg: Arg::None, proto: 0, pops: 2, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x62, name: "BUILD", arg: Arg::None, proto: 0, pops: 2, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x69, name: "INST", arg: Arg::NamePair, proto: 0, pops: 0, takes_mark: true, pushes: 1 },
    OpInfo { code: 0x6f, name: "OBJ", arg: Arg::None, proto: 1, pops: 0, takes_mark: true, pushes: 1 },
    OpInfo { code: 0x81, name: "NEWOBJ", arg: Arg::None, proto: 2, pops: 2, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x92, name: "NEWOBJ_EX", arg: Arg::None, proto: 4, pops: 3, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x80, name: "PROTO", arg: Arg::Uint1, proto: 2, pops: 0, takes_mark: false, pushes: 0 },
    OpInfo { code: 0x2e, name: "STOP", arg: Arg::None, proto: 0, pops: 1, takes_mark: false, pushes: 0 },
    OpInfo { code: 0x95, name: "FRAME", arg: Arg::Uint8, proto: 4, pops: 0, takes_mark: false, pushes: 0 },
    OpInfo { code: 0x50, name: "PERSID", arg: Arg::NoEscape, proto: 0, pops: 0, takes_mark: false, pushes: 1 },
    OpInfo { code: 0x51, name: "BINPERSID", arg: Arg::None, proto: 1, pops: 1, takes_mark: false, pushes: 1 },
];

/// The opcode of byte `code`, if there is one.
pub(super) fn lookup(code: u8) -> Option<&'static OpInfo> {
    TABLE[usize::from(code)].map(|i| &OPCODES[usize::from(i)])
}

/// Index into [`OPCODES`] by byte.
const TABLE: [Option<u8>; 256] = {
    let mut table = [None; 256];
    let mut i = 0;
    while i < OPCODES.len() {
        table[OPCODES[i].code as usize] = Some(i as u8);
        i += 1;
    }
    table
};
