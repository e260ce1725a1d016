/// CMS's logical file names, checked wherever one enters (a report, a request, a catalog import, an ACDC record):
/// `/store/` followed by `/`-separated components of `[A-Za-z0-9._-]` (WMCore `Lexicon.lfn`'s characters), none of
/// them `.` or `..`, no empty component (`//`), no control character, at most 500 characters. A PFN is always
/// derived as storage prefix + LFN, so a valid LFN keeps every PFN inside its storage prefix. A log archive may be
/// longer (`maxLogArchiveLength`).
public enum LFNRule {
    /// The longest LFN (CRAB's and DBS's limit).
    public static let maxLength = 500
    /// The longest LFN of a log archive (a job's `logArchive` output, a LogCollect job's input). WMCore's LogArchive
    /// puts the job's whole task path in it, so the merges deep in a TaskChain pass 500 characters (TC_6Tasks_PU's
    /// Task4 merge: 545); log archives never reach DBS or CRAB. 2,000 leaves the storage prefix room within PATH_MAX.
    public static let maxLogArchiveLength = 2000
    /// What a valid LFN looks like, for error messages.
    public static let expectation = expectation(maxLength: maxLength)

    /// What a valid LFN of at most `maxLength` characters looks like, for error messages.
    public static func expectation(maxLength: Int) -> String {
        "an LFN /store/<a>/<b>/... of [A-Za-z0-9._-] components (no '.' or '..' component, "
            + "no '//', no control character), at most \(maxLength) characters"
    }
    /// What a valid LFN base (`MergedLFNBase`, `UnmergedLFNBase`) looks like, for error messages.
    public static let baseExpectation = "an LFN base /store/<a>/... of [A-Za-z0-9._-] components (no '.' or '..' component, "
        + "no '//'), at most \(maxLength) characters"

    /// Why `lfn` is not a valid LFN of at most `maxLength` characters, or nil when it is. `/store` alone is refused
    /// (an LFN names a file below it).
    public static func problem(_ lfn: String, maxLength: Int = maxLength) -> String? {
        let bytes = Array(lfn.utf8)
        guard bytes.count <= maxLength else { return "\(bytes.count) characters, more than \(maxLength)" }
        guard lfn.hasPrefix("/store/") else { return "it does not start with /store/" }
        for component in bytes.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            if component.isEmpty { return "it has an empty component ('//' or a trailing '/')" }
            if component.allSatisfy({ $0 == UInt8(ascii: ".") }) { return "it has a '\(String(decoding: component, as: UTF8.self))' component" }
            if let bad = component.first(where: { !isAllowed($0) }) {
                return bad < 0x20 || bad == 0x7f ? "it holds a control character" : "it holds a character outside [A-Za-z0-9._-]"
            }
        }
        return nil
    }

    /// Why `lfn`, appended to a storage prefix, could name a file outside that prefix, or nil when it cannot: it must
    /// start with `/` and have no empty, `.` or `..` component and no control character. This is the confinement
    /// the runtime checks at every read, write and deletion, behind the full rule checked where an LFN enters.
    public static func confinementProblem(_ lfn: String) -> String? {
        guard lfn.hasPrefix("/") else { return "it does not start with /" }
        guard !lfn.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) else { return "it holds a control character" }
        for component in lfn.utf8.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            if component.isEmpty { return "it has an empty component ('//' or a trailing '/')" }
            if component.allSatisfy({ $0 == UInt8(ascii: ".") }) { return "it has a '\(String(decoding: component, as: UTF8.self))' component" }
        }
        return nil
    }

    /// True when `lfn` is a valid LFN.
    public static func isValid(_ lfn: String) -> Bool { problem(lfn) == nil }

    /// Why `base` is not a valid LFN base, or nil when it is: the same rule, `/store` itself allowed.
    public static func baseProblem(_ base: String) -> String? {
        base == "/store" ? nil : problem(base)
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}
