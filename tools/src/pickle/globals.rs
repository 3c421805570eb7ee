//! Which globals a pickle may import: the known data constructors (numpy,
//! pandas, collections, datetime…), the known dangerous ones (os.system,
//! builtins.eval, subprocess…), and everything else, which is unknown.

use super::Risk;

/// Modules any of whose names runs commands or code, reads or writes files,
/// or opens connections: the reason to give.
const DANGEROUS_MODULES: &[(&str, &str)] = &[
    ("os", "runs commands and touches files"),
    (
        "posix",
        "runs commands and touches files (os on Linux and macOS)",
    ),
    ("nt", "runs commands and touches files (os on Windows)"),
    ("subprocess", "runs commands"),
    ("pty", "runs commands in a terminal"),
    ("commands", "runs commands (Python 2)"),
    ("popen2", "runs commands (Python 2)"),
    ("platform", "runs commands"),
    ("importlib", "imports any module"),
    ("imp", "imports any module"),
    ("pkgutil", "imports any module"),
    ("runpy", "runs Python files and modules"),
    ("code", "runs Python code"),
    ("codeop", "compiles Python code"),
    ("types", "builds functions from code"),
    ("ctypes", "calls C functions and writes memory"),
    ("sys", "changes the interpreter"),
    ("socket", "opens network connections"),
    ("ssl", "opens network connections"),
    ("http", "opens network connections"),
    ("urllib", "downloads from the network"),
    ("requests", "downloads from the network"),
    ("ftplib", "opens network connections"),
    ("smtplib", "sends email"),
    ("telnetlib", "opens network connections"),
    ("webbrowser", "opens a browser on any address"),
    ("shutil", "copies and deletes files"),
    ("tempfile", "creates files"),
    ("pathlib", "reads and writes files"),
    ("io", "opens files"),
    ("_io", "opens files"),
    ("fileinput", "reads files"),
    ("glob", "lists files"),
    ("zipfile", "reads and writes archives"),
    ("tarfile", "reads and writes archives"),
    ("sqlite3", "opens databases"),
    ("pickle", "loads another pickle"),
    ("_pickle", "loads another pickle"),
    ("marshal", "loads code objects"),
    ("dill", "loads another pickle, with code"),
    ("cloudpickle", "loads another pickle, with code"),
    ("joblib", "loads another pickle"),
    ("shelve", "loads pickles from a file"),
    ("multiprocessing", "starts processes"),
    ("threading", "starts threads"),
    ("_thread", "starts threads"),
    ("signal", "changes signal handling"),
    ("asyncio", "runs commands and opens connections"),
    ("pdb", "runs Python code"),
    ("bdb", "runs Python code"),
    ("timeit", "runs Python code"),
    ("trace", "runs Python code"),
    ("profile", "runs Python code"),
    ("cProfile", "runs Python code"),
    (
        "operator",
        "looks up and calls any attribute (attrgetter, methodcaller)",
    ),
    ("functools", "calls any function later (partial, reduce)"),
    ("site", "changes the import path"),
    ("distutils", "runs commands"),
    ("setuptools", "runs commands"),
    ("pip", "installs packages"),
    ("yaml", "can run code through unsafe YAML loading"),
];

/// Names in `builtins` (`__builtin__` in Python 2) that run code, look up
/// anything, or open files.
const DANGEROUS_BUILTINS: &[(&str, &str)] = &[
    ("eval", "evaluates any Python expression"),
    ("exec", "runs any Python code"),
    ("execfile", "runs a Python file (Python 2)"),
    ("compile", "compiles Python code"),
    ("__import__", "imports any module"),
    ("getattr", "reaches any attribute, such as os.system"),
    ("setattr", "changes any attribute"),
    ("delattr", "deletes any attribute"),
    ("open", "opens files"),
    ("file", "opens files (Python 2)"),
    ("input", "reads the terminal"),
    ("breakpoint", "starts the debugger"),
    ("globals", "reaches every global"),
    ("locals", "reaches every local"),
    ("vars", "reaches any object's attributes"),
    ("help", "starts the interactive help"),
    ("exit", "stops the program"),
    ("quit", "stops the program"),
    ("reload", "reloads a module (Python 2)"),
    ("apply", "calls any function (Python 2)"),
    ("memoryview", "reaches raw memory"),
    ("type", "builds classes"),
    ("super", "reaches parent classes"),
    ("classmethod", "wraps functions"),
    ("staticmethod", "wraps functions"),
    ("property", "wraps functions"),
    ("object", "an object whose attributes can be set"),
];

/// Builtins that only build plain data.
const DATA_BUILTINS: &[&str] = &[
    "set",
    "frozenset",
    "bytearray",
    "bytes",
    "complex",
    "slice",
    "range",
    "list",
    "dict",
    "tuple",
    "str",
    "int",
    "float",
    "bool",
    "unicode",
    "long",
];

/// Exact `module.name` globals known to build data only.
const DATA_GLOBALS: &[(&str, &str)] = &[
    ("collections", "OrderedDict"),
    ("collections", "defaultdict"),
    ("collections", "deque"),
    ("collections", "Counter"),
    ("collections", "namedtuple"),
    ("datetime", "datetime"),
    ("datetime", "date"),
    ("datetime", "time"),
    ("datetime", "timedelta"),
    ("datetime", "timezone"),
    ("decimal", "Decimal"),
    ("fractions", "Fraction"),
    ("uuid", "UUID"),
    ("ipaddress", "IPv4Address"),
    ("ipaddress", "IPv6Address"),
    ("enum", "Enum"),
    ("copy_reg", "_reconstructor"),
    ("copyreg", "_reconstructor"),
    ("copyreg", "__newobj__"),
    ("copyreg", "__newobj_ex__"),
    ("_codecs", "encode"),
    ("codecs", "encode"),
    ("array", "array"),
    ("array", "_array_reconstructor"),
    ("zoneinfo", "ZoneInfo"),
    ("pytz", "_p"),
    ("pytz", "_UTC"),
    ("dateutil.tz.tz", "tzutc"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy", "core"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy.ma.core", "_mareconstruct"),
    ("numpy.random._pickle", "__randomstate_ctor"),
    ("numpy.random._pickle", "__bit_generator_ctor"),
    ("numpy.random._pickle", "__generator_ctor"),
    ("torch._utils", "_rebuild_tensor"),
    ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_parameter"),
    ("torch", "FloatStorage"),
    ("torch", "DoubleStorage"),
    ("torch", "HalfStorage"),
    ("torch", "LongStorage"),
    ("torch", "IntStorage"),
    ("torch", "BoolStorage"),
    ("torch", "BFloat16Storage"),
    ("torch", "ByteStorage"),
    ("torch", "Size"),
    ("torch", "float32"),
    ("torch", "float16"),
    ("torch", "int64"),
    ("pandas", "DataFrame"),
    ("pandas", "Series"),
    ("pandas", "Index"),
    ("pandas", "Timestamp"),
    ("pandas", "Timedelta"),
    ("pandas", "Categorical"),
];

/// Module prefixes of numpy and pandas internals whose plain (undotted)
/// names are their data classes and unpickling helpers. pandas' I/O and
/// `eval` modules are excluded.
const DATA_PREFIXES: &[&str] = &["numpy.", "pandas.core.", "pandas._libs.", "pandas.core"];

/// Prefixes excluded from [`DATA_PREFIXES`]: they read files or evaluate
/// expressions.
const NOT_DATA_PREFIXES: &[&str] = &[
    "pandas.core.computation",
    "pandas.io",
    "numpy.lib.npyio",
    "numpy.lib._npyio_impl",
    "numpy.distutils",
    "numpy.f2py",
    "numpy.testing",
    "numpy.ctypeslib",
    "numpy.lib.format",
    "numpy.lib.utils",
];

/// numpy names that read files or run code, wherever they are imported from.
const NOT_DATA_NAMES: &[&str] = &[
    "load",
    "loads",
    "fromfile",
    "loadtxt",
    "genfromtxt",
    "memmap",
    "eval",
    "exec",
    "system",
    "read_pickle",
    "read_csv",
    "to_pickle",
    "query",
];

/// How risky importing `module.name` is, and why.
pub(super) fn classify(module: &str, name: &str) -> (Risk, String) {
    let top = module.split('.').next().unwrap_or(module);
    if matches!(module, "builtins" | "__builtin__" | "__builtins__") {
        if let Some((_, why)) = DANGEROUS_BUILTINS.iter().find(|(n, _)| *n == name) {
            return (Risk::Dangerous, format!("builtins.{name} {why}"));
        }
        if DATA_BUILTINS.contains(&name) {
            return (Risk::Data, format!("builtins.{name} builds plain data"));
        }
        return (
            Risk::Unknown,
            format!("builtins.{name} is not a known data constructor"),
        );
    }
    if let Some((_, why)) = DANGEROUS_MODULES.iter().find(|(m, _)| *m == top) {
        return (Risk::Dangerous, format!("{top} {why}"));
    }
    if name.contains('.') {
        return (
            Risk::Unknown,
            format!("{module}.{name} reaches an attribute of an attribute, a way to any method"),
        );
    }
    if DATA_GLOBALS.contains(&(module, name)) {
        return (Risk::Data, format!("{module}.{name} builds data"));
    }
    if NOT_DATA_NAMES.contains(&name) {
        return (
            Risk::Dangerous,
            format!("{module}.{name} reads files or runs code"),
        );
    }
    let known_prefix = DATA_PREFIXES
        .iter()
        .any(|p| module.starts_with(p) || module == p.trim_end_matches('.'));
    let excluded = NOT_DATA_PREFIXES.iter().any(|p| module.starts_with(p));
    if known_prefix && !excluded {
        return (
            Risk::Data,
            format!("{module}.{name} is part of {top}'s data types"),
        );
    }
    if top == "sklearn" && name.starts_with(|c: char| c.is_ascii_uppercase()) {
        return (
            Risk::Data,
            format!("{module}.{name} is a scikit-learn estimator class"),
        );
    }
    (
        Risk::Unknown,
        format!(
            "{module}.{name} is not a known data constructor: loading runs whatever code it has"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_globals_are_classified() {
        assert_eq!(classify("os", "system").0, Risk::Dangerous);
        assert_eq!(classify("posix", "system").0, Risk::Dangerous);
        assert_eq!(classify("subprocess", "Popen").0, Risk::Dangerous);
        assert_eq!(classify("builtins", "eval").0, Risk::Dangerous);
        assert_eq!(classify("builtins", "set").0, Risk::Data);
        assert_eq!(
            classify("numpy.core.multiarray", "_reconstruct").0,
            Risk::Data
        );
        assert_eq!(classify("pandas.core.frame", "DataFrame").0, Risk::Data);
        assert_eq!(
            classify("pandas.io.pickle", "read_pickle").0,
            Risk::Dangerous
        );
        assert_eq!(
            classify("pandas.core.computation.eval", "eval").0,
            Risk::Dangerous
        );
        assert_eq!(
            classify("pandas.core.frame", "DataFrame.to_pickle").0,
            Risk::Unknown
        );
        assert_eq!(classify("__main__", "Model").0, Risk::Unknown);
        assert_eq!(classify("collections", "OrderedDict").0, Risk::Data);
    }
}
