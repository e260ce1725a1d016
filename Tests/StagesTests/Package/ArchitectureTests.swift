import Foundation
import TestSupport
import Testing

/// Boundary rules of the package, checked by reading the sources (issue 18): a broken rule names the file and
/// the line.
@Suite struct ArchitectureTests {
    /// What touches the disk (or the operating system) in Swift source text.
    static let diskAccess = ["import Glibc", "FileManager", "FileHandle", "SystemCall", "Data(contentsOf", "String(contentsOfFile",
                             "contentsOfFile:", "fopen(", "Process()"]

    /// Every line of code (comments excluded) of the Swift sources under `Sources/<module>/`, as
    /// `Sources/<module>/<file>:<line>` and the trimmed text.
    static func codeLines(module: String) throws -> [(place: String, code: String)] {
        let root = TestSupport.packageRoot + "/Sources/" + module
        var lines: [(place: String, code: String)] = []
        for file in (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).sorted() where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: root + "/" + file, encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let code = line.trimmingCharacters(in: .whitespaces)
                if !code.hasPrefix("//") { lines.append(("Sources/\(module)/\(file):\(number + 1)", code)) }
            }
        }
        return lines
    }

    /// Lines of the Swift sources under `Sources/<module>/` holding any of `needles` (comments excluded).
    static func offences(module: String, needles: [String]) throws -> [String] {
        try codeLines(module: module).flatMap { line in
            needles.filter { line.code.contains($0) }.map { "\(line.place): \($0): \(line.code)" }
        }
    }

    /// The domain touches no disk: WMCore, Tier0, JobSplitting and DynamicJSON take bytes and values, never paths
    /// (configuration is decoded from bytes a program read; the spool belongs to SpoolKit and the stages).
    @Test(arguments: ["WMCore", "Tier0", "JobSplitting", "DynamicJSON"])
    func theDomainTouchesNoDisk(module: String) throws {
        let found = try Self.offences(module: module, needles: Self.diskAccess)
        #expect(found.isEmpty, "\(module) touches the disk:\n\(found.joined(separator: "\n"))")
    }

    /// The rule finds what it looks for (a rule that cannot fail proves nothing).
    @Test func theRuleSeesDiskAccessWhereItIs() throws {
        #expect(try !Self.offences(module: "SpoolKit", needles: Self.diskAccess).isEmpty)
        #expect(try !Self.offences(module: "SpoolKit", needles: Self.substrateSecrets).isEmpty)
    }

    /// The stages, the operator tool and the agent make no system call of their own: the substrate does
    /// (SpoolKit's `Spool` queries, `WallClock`), so every file operation has one careful implementation.
    @Test(arguments: ["Stages", "Operator", "Agent"])
    func onlyTheSubstrateMakesSystemCalls(module: String) throws {
        let needles = ["SystemCall.", "import Glibc", "Glibc."] + (module == "Stages" ? ["FileManager", "FileHandle", "fopen(", "Process()"] : [])
        let found = try Self.offences(module: module, needles: needles)
        #expect(found.isEmpty, "\(module) calls the operating system:\n\(found.joined(separator: "\n"))")
    }

    /// What knows inodes, temporary files and links in Swift source text.
    static let substrateSecrets = ["st_ino", "st_nlink", "O_TMPFILE", "linkat(", "Glibc.link(", "SystemCall.link(", "spool.temporaryDirectory",
                                   "\".part\"", "\".tmp\"", "\".tmp/\""]

    /// Only SpoolKit knows inodes, temporaries and links: everything above asks `Spool`, `SpoolBatch` or `FileStamp`.
    @Test(arguments: ["Commands", "SpoolLayout", "BatchSystems", "WorkerRuntime", "Stages", "Operator", "Agent", "Benchmarks",
                      "WMCore", "Tier0", "JobSplitting", "FrameworkJobReport", "EventFiles", "DynamicJSON"])
    func onlySpoolKitKnowsInodesTemporariesAndLinks(module: String) throws {
        let found = try Self.offences(module: module, needles: Self.substrateSecrets)
        #expect(found.isEmpty, "\(module) knows the substrate's secrets:\n\(found.joined(separator: "\n"))")
    }

    /// The spool's top-level folders (spool/README.md); `Layout` in SpoolLayout is the one place that spells them.
    static let spoolFolders = ["reqmgr", "configcache", "workqueue", "wmbs", "jobs", "work", "storage", "acdc", "dbsbuffer", "transfer",
                               "archive", "catalog", "etc", "batch", ".status"]

    /// Spool-folder literals on one line of code: a literal naming a top-level folder followed by `/`
    /// anywhere, or the bare name used as a path (not an option name, a JSON or log key, or an actor); prose
    /// (a literal with a space, like "jobs/s of the stages") is no path.
    static func folderLiterals(in code: Substring) -> [String] {
        var found: [String] = []
        var rest = code[...]
        while let open = rest.firstIndex(of: "\"") {
            let afterOpen = rest.index(after: open)
            guard let close = rest[afterOpen...].firstIndex(of: "\"") else { break }
            let literal = String(rest[afterOpen..<close])
            let before = rest[..<open].trimmingCharacters(in: .whitespaces)
            let after = rest[rest.index(after: close)...].trimmingCharacters(in: .whitespaces)
            let head = literal.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            if spoolFolders.contains(head) && !literal.contains(" ") {
                let isPath = literal.contains("/")
                let isKeyOrName = after.hasPrefix(":") || ["CommandOption(", "integer(", "number(", "text(", "flag(", "actor:", "["]
                    .contains { before.hasSuffix($0) }
                if isPath || !isKeyOrName { found.append(literal) }
            }
            rest = rest[rest.index(after: close)...]
        }
        return found
    }

    /// Only SpoolLayout (its `Layout`) spells the spool's folder names; SpoolKit knows only its own (`.tmp`, `.spare`, ...).
    @Test(arguments: ["Commands", "BatchSystems", "WorkerRuntime", "Stages", "Operator", "Agent", "Benchmarks",
                      "WMCore", "Tier0", "JobSplitting", "FrameworkJobReport", "EventFiles", "DynamicJSON"])
    func onlySpoolLayoutSpellsFolderNames(module: String) throws {
        let found = try Self.codeLines(module: module).flatMap { line in
            Self.folderLiterals(in: line.code[...]).map { "\(line.place): \"\($0)\": \(line.code)" }
        }
        #expect(found.isEmpty, "\(module) spells spool folder names (ask Layout):\n\(found.joined(separator: "\n"))")
    }

    /// The folder-name rule sees a folder name where one is spelled, and leaves keys and option names alone.
    @Test func theFolderRuleSeesFolderNames() {
        #expect(Self.folderLiterals(in: #"spool.scan("jobs/created")"#) == ["jobs/created"])
        #expect(Self.folderLiterals(in: #"spool.read("sites.json", in: "etc")"#) == ["etc"])
        #expect(Self.folderLiterals(in: #"CommandOption("jobs", .integer(1...9))"#).isEmpty)
        #expect(Self.folderLiterals(in: #"log.info("done", ["jobs": String(n)])"#).isEmpty)
        #expect(Self.folderLiterals(in: #"summary: "jobs/s of the stages""#).isEmpty)
    }

    /// The modules a module imports, read from its sources.
    static func imports(of module: String) throws -> Set<String> {
        let root = TestSupport.packageRoot + "/Sources/" + module
        var found: Set<String> = []
        for file in FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? [] where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: root + "/" + file, encoding: .utf8)
            for line in text.split(separator: "\n") where line.hasPrefix("import ") || line.hasPrefix("@testable import ") {
                found.insert(String(line.split(separator: " ").last!))
            }
        }
        return found
    }

    /// `wm-runjob` and `wm-cmsrun` run on worker nodes: neither they nor any module they import (transitively)
    /// imports the stages, the batch systems, the operator tool, the agent or the benchmarks.
    @Test(arguments: ["wm-runjob", "wm-cmsrun"])
    func theWorkerDoesNotLinkTheAgent(program: String) throws {
        let agentSide: Set = ["Stages", "BatchSystems", "Operator", "Agent", "Benchmarks"]
        let system: Set = ["Foundation", "FoundationXML", "Glibc", "Dispatch"]
        var seen: Set<String> = [program]
        var queue = [program]
        while let module = queue.popLast() {
            for imported in try Self.imports(of: module) where !system.contains(imported) && seen.insert(imported).inserted {
                queue.append(imported)
            }
        }
        #expect(seen.intersection(agentSide).isEmpty, "\(program) links \(seen.intersection(agentSide).sorted())")
        #expect(seen.contains("WorkerRuntime"), "the rule must follow \(program)'s imports (found \(seen.sorted()))")
        let manifest = try String(contentsOfFile: TestSupport.packageRoot + "/Package.swift", encoding: .utf8)
        let declared = manifest.split(separator: "\n").first { $0.hasPrefix("program(\"\(program)\"") }.map(String.init) ?? ""
        #expect(!declared.isEmpty && agentSide.allSatisfy { !declared.contains("\"\($0)\"") }, "Package.swift: \(declared)")
    }
}
