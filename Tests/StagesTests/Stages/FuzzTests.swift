import Foundation
import SpoolKit
@testable import SpoolLayout
import TestSupport
import Testing
import WMCore

/// Issue 17's fuzz suite: malformed, oversized, special and hostile documents dropped into every inbox of
/// every stage, and hostile job reports written over a victim request's real reports, while good requests
/// run through the stage programs (each run bounded by a timeout, as cron would run them).
///
/// Afterwards: no program trapped or hung; every bad document left its inbox and was quarantined once with a
/// reason (a second round of every stage adds no reason); no file outside the spool was touched; every good
/// document was processed, and every event of the good requests is in the output once, read from storage.
///
/// Seeded and CI-sized by default; `WM_FUZZ_SEED=N` picks another seed and `WM_FUZZ_SCALE=K` multiplies the
/// number of hostile documents and the victim's events.
@Suite(.serialized) struct FuzzTests {
    static let environment = ProcessInfo.processInfo.environment
    static let seed = UInt64(environment["WM_FUZZ_SEED"] ?? "") ?? 20_261_205
    static let scale = max(1, min(100, Int(environment["WM_FUZZ_SCALE"] ?? "") ?? 1))
    /// No stage run may take longer than this (a hang is a failure, not a stuck CI).
    static let stageTimeout = 120.0

    /// A hostile thing placed in an inbox.
    enum Kind: CustomStringConvertible {
        case bytes([UInt8])
        case sparse(Int)
        case fifo
        case symlink(String)
        case directory

        var description: String {
            switch self {
            case .bytes(let b): "\(b.count) bytes"
            case .sparse(let n): "sparse file of \(n) bytes"
            case .fifo: "FIFO"
            case .symlink(let to): "symlink to \(to)"
            case .directory: "directory"
            }
        }
    }

    /// One hostile input: a folder (spool-relative), a raw file name (not necessarily UTF-8) and what it is.
    struct Hostile: CustomStringConvertible {
        var folder: String
        var name: [UInt8]
        var kind: Kind
        var label: String
        var printableName: String { String(decoding: name, as: UTF8.self) }
        var description: String { "\(folder)/\(printableName) (\(label): \(kind))" }
    }

    /// Creates `h` in `root` with raw system calls (a non-UTF-8 name cannot pass through `String` paths).
    static func create(_ h: Hostile, root: String) throws {
        let path = Array((root + "/" + h.folder + "/").utf8) + h.name + [0]
        try path.withUnsafeBufferPointer { buffer in
            try buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { p in
                switch h.kind {
                case .bytes(let bytes):
                    let fd = Glibc.open(p, O_WRONLY | O_CREAT | O_EXCL, 0o644)
                    try #require(fd >= 0, "create \(h): errno \(errno)")
                    _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                    Glibc.close(fd)
                case .sparse(let size):
                    let fd = Glibc.open(p, O_WRONLY | O_CREAT | O_EXCL, 0o644)
                    try #require(fd >= 0 && ftruncate(fd, off_t(size)) == 0, "create \(h): errno \(errno)")
                    Glibc.close(fd)
                case .fifo: try #require(mkfifo(p, 0o644) == 0, "mkfifo \(h): errno \(errno)")
                case .symlink(let target): try #require(Glibc.symlink(target, p) == 0, "symlink \(h): errno \(errno)")
                case .directory: try #require(mkdir(p, 0o755) == 0, "mkdir \(h): errno \(errno)")
                }
            }
        }
    }

    /// Whether `h` is still where it was put (lstat by raw name).
    static func stillThere(_ h: Hostile, root: String) -> Bool {
        var st = stat()
        let path = Array((root + "/" + h.folder + "/").utf8) + h.name + [0]
        return path.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { Glibc.lstat($0, &st) == 0 }
        }
    }

    /// The example request as JSON text with `edit` applied to its createRequest.
    static func request(_ edit: (inout [String: Any]) -> Void) throws -> [UInt8] {
        var request = try EndToEndRequests.example()
        var create = request["createRequest"] as! [String: Any]
        edit(&create)
        request["createRequest"] = create
        return Array(try JSONSerialization.data(withJSONObject: request, options: [.sortedKeys]))
    }

    /// Hostile documents for every inbox, `count` of them per inbox, chosen by `random`.
    static func hostileDocuments(count: Int, canary: String, random: inout SeededGenerator) throws -> [Hostile] {
        let garbage: [(String, Kind)] = [
            ("empty", .bytes([])),
            ("binary", .bytes((0..<512).map { _ in UInt8.random(in: 0...255, using: &random) })),
            ("truncated JSON", .bytes(Array(#"{"createRequest": {"RequestType": "TaskCh"#.utf8))),
            ("JSON array", .bytes(Array("[1, 2, 3]".utf8))),
            ("deep nesting", .bytes(Array(String(repeating: "[", count: 200_000).utf8))),
            ("huge number", .bytes(Array(#"{"name": "x", "state": "created", "retry_count": 1e999, "id": 92233720368547758070}"#.utf8))),
            ("NaN literal", .bytes(Array(#"{"name": NaN}"#.utf8))),
            ("UTF-16", .bytes([0xFF, 0xFE] + Array("{\"a\": 1}".utf8).flatMap { [$0, 0] })),
            ("oversized", .sparse(100 << 20)),
            ("FIFO", .fifo),
            ("symlink out of the spool", .symlink(canary)),
            ("directory", .directory),
        ]
        let requests: [(String, (inout [String: Any]) -> Void)] = [
            ("FirstEvent past 2^63", { $0["Task1", default: [:]] = Self.merged($0["Task1"], ["FirstEvent": 9_223_372_036_854_775_800]) }),
            ("RequestNumEvents 2^63-1", { $0["Task1", default: [:]] = Self.merged($0["Task1"], ["RequestNumEvents": Int.max]) }),
            ("1e8 events (job ceiling)", { $0["Task1", default: [:]] = Self.merged($0["Task1"], ["RequestNumEvents": 100_000_000]) }),
            ("negative events per job", { $0["Task1", default: [:]] = Self.merged($0["Task1"], ["EventsPerJob": -200]) }),
            ("FirstLumi 0", { $0["Task1", default: [:]] = Self.merged($0["Task1"], ["FirstLumi": 0]) }),
            ("priority out of range", { $0["RequestPriority"] = 999_999_999 }),
            ("negative memory", { $0["Memory"] = -1 }),
            ("missing config", { $0["Task1", default: [:]] = Self.merged($0["Task1"], ["ConfigCacheID": "no-such-config"]) }),
        ]
        var result: [Hostile] = []
        let inboxes = ["reqmgr/incoming", "workqueue/Available", "jobs/created", "jobs/executing", "jobs/complete",
                       "jobs/jobfailed", "jobs/jobcooloff", "jobs/success", "jobs/cleanout"]
        var n = 0
        for inbox in inboxes {
            for _ in 0..<count {
                n += 1
                let (label, kind) = garbage.randomElement(using: &random)!
                result.append(Hostile(folder: inbox, name: Array("fuzz-\(n).json".utf8), kind: kind, label: label))
            }
            // Names no stage can take: not UTF-8, and hidden behind dots.
            n += 1
            result.append(Hostile(folder: inbox, name: Array("fuzz-\(n)-".utf8) + [0xFF, 0xFE] + Array(".json".utf8),
                                  kind: .bytes(Array("{}".utf8)), label: "non-UTF-8 name"))
            n += 1
            result.append(Hostile(folder: inbox, name: Array("..fuzz-\(n).json".utf8), kind: .bytes(Array("{}".utf8)), label: "dot name"))
        }
        for (label, edit) in requests {
            n += 1
            result.append(Hostile(folder: "reqmgr/incoming", name: Array("fuzz-\(n).json".utf8), kind: .bytes(try request(edit)), label: label))
        }
        return result
    }

    static func merged(_ base: Any?, _ values: [String: Any]) -> [String: Any] {
        (base as? [String: Any] ?? [:]).merging(values) { $1 }
    }

    /// The hostile edits of a real job report, by name; each applies to the report's text.
    static func reportMutations(canary: String) -> [(String, (String) -> String?)] {
        func replacingFirst(_ pattern: String, _ replacement: String) -> (String) -> String? {
            { text in
                guard let range = text.range(of: pattern, options: .regularExpression) else { return nil }
                return text.replacingCharacters(in: range, with: replacement)
            }
        }
        return [
            ("TotalEvents 9223372036854775000", replacingFirst("<TotalEvents>[0-9]+</TotalEvents>", "<TotalEvents>9223372036854775000</TotalEvents>")),
            ("NEvents 9223372036854775000", replacingFirst(#"NEvents="[0-9]+""#, #"NEvents="9223372036854775000""#)),
            ("negative size", replacingFirst("<Size>[0-9]+</Size>", "<Size>-5</Size>")),
            ("run -1", replacingFirst(#"<Run ID="[0-9]+">"#, #"<Run ID="-1">"#)),
            ("lumi 0", replacingFirst(#"<LumiSection ID="[0-9]+""#, #"<LumiSection ID="0""#)),
            ("NaN metric", replacingFirst(#"Value="[0-9.]+""#, #"Value="NaN""#)),
            ("1e999 metric", replacingFirst(#"Value="[0-9.]+""#, #"Value="1e999""#)),
            ("LFN escaping the spool", { text in
                guard let lfn = text.range(of: "<LFN>/store/unmerged/[^<]+</LFN>", options: .regularExpression),
                      let pfn = text.range(of: "<PFN>[^<]+</PFN>", options: .regularExpression, range: lfn.upperBound..<text.endIndex) else { return nil }
                var t = text
                t.replaceSubrange(pfn, with: "<PFN>\(canary)</PFN>")
                t.replaceSubrange(lfn, with: "<LFN>/store/unmerged/../../../../../../../../..\(canary)</LFN>")
                return t
            }),
            ("truncated", { String($0.prefix($0.count / 2)) }),
        ]
    }

    /// Every `.reason` file under the spool (spool-relative paths).
    static func reasons(in root: String) -> [String] {
        (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".reason") }.sorted()
    }

    @Test func hostileInputsInEveryInboxAreQuarantinedOnceAndGoodWorkCompletes() throws {
        var random = SeededGenerator(seed: Self.seed)
        let spool = try ProgramSpool.fresh("fuzz")
        let outside = TestSupport.temporaryDirectory("fuzz-outside")
        let canary = outside + "/canary.root"
        let canaryBytes = Array("not the spool's to read or delete\n".utf8)
        try Data(canaryBytes).write(to: URL(fileURLWithPath: canary))

        // Good work: two requests submitted by the operator tool, one dropped in the inbox by hand, and a victim
        // whose first attempts get hostile reports.
        let eventsPerRequest = 400
        var good: [String] = []
        for tag in ["FuzzA", "FuzzB"] {
            let (code, out) = spool.wmctl(["request", "submit", OperationsPrograms.exampleRequest, "--assign",
                                           "--set", "Task1.RequestNumEvents=\(eventsPerRequest)", "--set", "ProcessingString=\(tag)",
                                           "--set", "RequestString=\(tag)"])
            try #require(code == 0, "\(out.stderr)")
            good.append(out.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let victimEvents = 400 * Self.scale
        let (code, out) = spool.wmctl(["request", "submit", OperationsPrograms.exampleRequest, "--assign",
                                       "--set", "Task1.RequestNumEvents=\(victimEvents)", "--set", "ProcessingString=FuzzVictim",
                                       "--set", "RequestString=FuzzVictim"])
        try #require(code == 0, "\(out.stderr)")
        let victim = out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try Data(try Self.request { $0["RequestString"] = "FuzzByHand" }).write(to: URL(fileURLWithPath: spool.root + "/reqmgr/incoming/zz-good-by-hand.json"))

        let hostile = try Self.hostileDocuments(count: 2 * Self.scale, canary: canary, random: &random)
        for h in hostile { try Self.create(h, root: spool.root) }

        // Rounds of every stage program in pipeline order, as chained cron runs; after each tracker run the
        // victim's first attempts in jobs/complete get a hostile report.
        let mutations = Self.reportMutations(canary: canary)
        var mutated: [String: String] = [:]
        var failures: [String] = []
        func round() throws {
            for line in OperationsPrograms.pipeline {
                let result = try TestSupport.runBounded(TestSupport.executable(line[0]), Array(line.dropFirst()) + ["--once"],
                                                        environment: ["WM_SPOOL": spool.root], seconds: Self.stageTimeout)
                if result.timedOut || result.status >= 128 || (result.status != 0 && result.status != 75) {
                    failures.append("\(line.joined(separator: " ")): \(String(result.description.suffix(600)))")
                }
                guard line[0] == "wm-jobtracker" else { continue }
                let jobs = Areas.jobs(spool.spool)
                for job in try jobs.scan(.complete) where mutated[job] == nil {
                    guard case .document(let doc) = try jobs.load(job, in: .complete),
                          doc.body.workflow == victim, doc.body.retryCount == 0 else { continue }
                    let report = spool.root + "/work/\(victim)/\(job)-0/Report.0.xml"
                    guard let text = try? String(contentsOfFile: report, encoding: .utf8) else { continue }
                    for _ in 0..<mutations.count {
                        let (label, mutate) = mutations.randomElement(using: &random)!
                        if let hostileText = mutate(text) {
                            try Data(hostileText.utf8).write(to: URL(fileURLWithPath: report))
                            mutated[job] = label
                            break
                        }
                    }
                }
            }
        }
        func finished() throws -> Bool {
            try spool.pendingJobs() == 0 && (good + [victim]).allSatisfy { spool.requestStatus($0) == "completed" }
        }
        var rounds = 0
        repeat {
            try round()
            rounds += 1
        } while try rounds < 40 && !finished()
        #expect(failures.isEmpty, "programs that trapped, hung or failed:\n\(failures.joined(separator: "\n"))")
        #expect(!mutated.isEmpty, "the victim's reports were made hostile: \(mutated)")

        // Every bad document left its inbox, with one reason; a second round quarantines nothing again.
        let stuck = hostile.filter { Self.stillThere($0, root: spool.root) }
        #expect(stuck.isEmpty, "still in their inbox: \(stuck)")
        let quarantined = Self.reasons(in: spool.root)
        #expect(quarantined.count == hostile.count, "\(quarantined.count) reasons for \(hostile.count) hostile documents:\n\(quarantined.joined(separator: "\n"))")
        try round()
        #expect(Self.reasons(in: spool.root) == quarantined, "a second round quarantined again")
        #expect(failures.isEmpty, "\(failures)")

        // Nothing outside the spool was read into the output or removed.
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: canary))) == canaryBytes, "the file outside the spool is untouched")
        #expect(spool.storageFiles(containing: "canary").isEmpty)

        // Every good document was processed; every event of the good requests is in the output once.
        #expect(!SystemCall.exists(spool.root + "/reqmgr/incoming/zz-good-by-hand.json"), "the good submission behind the bad ones was taken")
        #expect(try spool.spool.scan("reqmgr/new").names.contains { $0.contains("FuzzByHand") }, "and accepted")
        for request in good + [victim] {
            #expect(spool.requestStatus(request) == "completed", "\(request): \(spool.requestStatus(request) ?? "?")")
        }
        let catalog = try spool.catalogContent()
        for tag in ["FuzzA", "FuzzB"] {
            let datasets = catalog.datasets.filter { $0.name.contains("-\(tag)-") }
            #expect(datasets.count == 4, "\(tag): GEN-SIM, GEN-SIM-RAW, AODSIM, DQMIO: \(catalog)")
            #expect(CatalogContent(datasets: datasets).datasetsWithoutEveryEventOnce(count: eventsPerRequest).isEmpty, "\(tag): \(catalog)")
        }
        // The victim: each hostile report failed its attempt (never a success), and the retries delivered every event once.
        // Every hostile report failed its attempt with a reason (never a success), as the archived job's history shows.
        let area = Areas.jobs(spool.spool)
        let archived = (FileManager.default.enumerator(atPath: spool.root + "/archive/jobs")?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".json") }
        var histories: [String: [Transition]] = [:]
        for path in archived {
            let job = try area.decode(Array(try Data(contentsOf: URL(fileURLWithPath: spool.root + "/archive/jobs/" + path))), file: path).get()
            histories[job.name] = job.history
        }
        for (job, label) in mutated {
            let failure = histories[job]?.first { $0.from == "complete" && $0.to == "jobfailed" }
            #expect(failure != nil, "\(job) with a hostile report (\(label)) was not failed: \(histories[job] ?? [])")
        }
        let victimDatasets = catalog.datasets.filter { $0.name.contains("-FuzzVictim-") }
        #expect(victimDatasets.count == 4, "victim: \(catalog)")
        #expect(CatalogContent(datasets: victimDatasets).datasetsWithoutEveryEventOnce(count: victimEvents).isEmpty, "victim: \(catalog)")
    }
}

extension ProgramSpool {
    /// Files under the spool's storage whose path contains `fragment`.
    func storageFiles(containing fragment: String) -> [String] {
        (FileManager.default.enumerator(atPath: root + "/storage")?.allObjects as? [String] ?? []).filter { $0.contains(fragment) }
    }
}
