import Foundation
import Testing
@testable import JobSplitting

/// Awkward random inputs for the golden-output check: several runs per file in any order, lumis repeated
/// inside a file and shared between files, repeated LFNs, lumi 0, files without lumis or events, files at
/// several locations.
enum AwkwardInput {
    static let sites = ["T1_US_FNAL_Disk", "T2_CH_CERN", "T2_DE_DESY"]

    static func files(_ rng: inout SeededGenerator) -> [SplitFile] {
        let n = Int.random(in: 0...30, using: &rng)
        var lumi = Int.random(in: 0...2, using: &rng)
        var run = Int.random(in: 1...3, using: &rng)
        return (0..<n).map { i in
            if Int.random(in: 0..<6, using: &rng) == 0 { run += 1 }
            var runs: [FileRun] = []
            for _ in 0..<Int.random(in: 0...3, using: &rng) {
                let count = Int.random(in: 0...5, using: &rng)
                // Sometimes step back so lumis are shared with earlier files.
                if Int.random(in: 0..<5, using: &rng) == 0 { lumi = max(0, lumi - Int.random(in: 1...4, using: &rng)) }
                var lumis = Array(lumi..<(lumi + count))
                if count > 0 && Int.random(in: 0..<8, using: &rng) == 0 { lumis.append(lumis[0]) }
                lumis.shuffle(using: &rng)
                lumi += count + (Int.random(in: 0..<4, using: &rng) == 0 ? 2 : 0)
                runs.append(FileRun(run: run + Int.random(in: -1...1, using: &rng), lumis: lumis))
            }
            let name = Int.random(in: 0..<10, using: &rng) == 0 ? 0 : (i * 37) % 997
            let siteCount = Int.random(in: 0..<5, using: &rng) == 0 ? 2 : 1
            return SplitFile(lfn: String(format: "/store/data/G/RAW/v1/f%03d.root", name),
                             size: Int.random(in: 0...6_000, using: &rng),
                             events: Int.random(in: 0..<6, using: &rng) == 0 ? 0 : Int.random(in: 1...2_000, using: &rng),
                             firstEvent: Int.random(in: 0...3, using: &rng),
                             locations: (0..<siteCount).map { _ in sites[Int.random(in: 0..<sites.count, using: &rng)] },
                             runs: runs, insertTime: Double(Int.random(in: 0...100_000, using: &rng)))
        }
    }

    /// Parameters for `algorithm`, with the optional switches each algorithm reads set at random.
    static func parameters(_ algorithm: SplittingAlgorithm, _ files: [SplitFile],
                           _ rng: inout SeededGenerator) -> [String: ParameterValue] {
        func flag() -> ParameterValue { .bool(Bool.random(using: &rng)) }
        var values: [String: ParameterValue] = [
            "performance": ["timePerEvent": .double(Double(Int.random(in: 1...40, using: &rng))), "sizePerEvent": 400,
                            "memoryRequirement": 2300],
            "halt_job_on_file_boundaries": flag(), "splitOnRun": flag(), "deterministicPileup": flag(),
        ]
        switch algorithm {
        case .lumiBased:
            values["lumis_per_job"] = .int(Int.random(in: 1...8, using: &rng))
            values["applyLumiCorrection"] = flag()
            if Int.random(in: 0..<4, using: &rng) == 0 { values["total_lumis"] = .int(Int.random(in: 1...40, using: &rng)) }
        case .eventAwareLumiBased, .eventAwareLumiByWork:
            values["events_per_job"] = .int(Int.random(in: 50...3_000, using: &rng))
            values["job_time_limit"] = .int(Int.random(in: 0..<3, using: &rng) == 0 ? 5_000 : 48 * 3600)
            values["applyLumiCorrection"] = flag()
            if Int.random(in: 0..<4, using: &rng) == 0 { values["total_events"] = .int(Int.random(in: 1...20_000, using: &rng)) }
        case .eventBased:
            values["events_per_job"] = .int(Int.random(in: 10...700, using: &rng))
        case .fileBased, .minFileBased, .runBased, .siblingProcessingBased:
            values["files_per_job"] = .int(Int.random(in: 1...6, using: &rng))
        case .sizeBased:
            values["size_per_job"] = .int(Int.random(in: 500...12_000, using: &rng))
        case .mergeBySize:
            values["merge_size"] = .int(Int.random(in: 500...12_000, using: &rng))
            values["all_files"] = flag()
        case .parentlessMergeBySize, .wmbsMergeBySize:
            values["max_merge_size"] = .int(Int.random(in: 3_000...12_000, using: &rng))
            values["min_merge_size"] = .int(Int.random(in: 500...3_000, using: &rng))
        case .harvest:
            break
        }
        let runs = Set(files.flatMap { $0.runs.map(\.run) }).sorted()
        if !runs.isEmpty && Int.random(in: 0..<4, using: &rng) == 0 {
            let picked = runs.filter { _ in Bool.random(using: &rng) }
            values["runs"] = .array(picked.map { .string(String($0)) })
            values["lumis"] = .array(picked.map { _ in
                let a = Int.random(in: 0...10, using: &rng), b = Int.random(in: 0...10, using: &rng)
                return .string("\(min(a, b)),\(max(a, b)),\(b + 12),\(b + 30)")
            })
        }
        if !runs.isEmpty && Int.random(in: 0..<5, using: &rng) == 0 {
            values["runWhitelist"] = .array([.int(runs[Int.random(in: 0..<runs.count, using: &rng)])])
        }
        return values
    }
}

/// The full outputs of every algorithm on awkward random inputs stay exactly as recorded (64-bit FNV-1a
/// digests of the JSON-encoded outcome) in `Fixtures/golden_digests.json`: speed work must not change a job.
@Suite struct GoldenOutputTests {
    static let seeds: UInt64 = 120
    static let algorithms: [SplittingAlgorithm] = [.eventBased, .fileBased, .minFileBased, .lumiBased, .eventAwareLumiBased,
                                                   .eventAwareLumiByWork, .sizeBased, .runBased, .mergeBySize,
                                                   .parentlessMergeBySize, .wmbsMergeBySize, .siblingProcessingBased]

    struct Snapshot: Encodable {
        let groups: [SplitJobGroup]
        let failedFiles: [String]
    }

    static func fnv1a(_ data: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return String(hash, radix: 16)
    }

    /// `algorithm/seed` → digest of the outcome (or of the error's description), and how many outcomes had jobs.
    static func digests(_ algorithm: SplittingAlgorithm) throws -> (digests: [String: String], withJobs: Int) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var result: [String: String] = [:]
        var withJobs = 0
        for seed in 0..<seeds {
            var rng = SeededGenerator(seed: seed &* 7919 &+ UInt64(algorithms.firstIndex(of: algorithm)!))
            var files = AwkwardInput.files(&rng)
            if algorithm == .runBased { files.removeAll { $0.minRun == nil } }  // RunBased rejects files without runs
            let values = AwkwardInput.parameters(algorithm, files, &rng)
            let context = SplitContext(subscriptionType: Bool.random(using: &rng) ? .processing : .production,
                                       filesetClosed: Int.random(in: 0..<4, using: &rng) != 0, now: 200_000,
                                       trustSiteLists: Int.random(in: 0..<6, using: &rng) == 0)
            let data: Data
            do {
                let outcome = try JobSplitter.split(algorithm, files: files, parameters: SplitParameters(values), context: context)
                data = try encoder.encode(Snapshot(groups: outcome.groups, failedFiles: outcome.failedFiles))
                if !outcome.jobs.isEmpty { withJobs += 1 }
            } catch {
                data = Data("error: \(error)".utf8)
            }
            result["\(algorithm.rawValue)/\(seed)"] = fnv1a(data)
        }
        return (result, withJobs)
    }

    @Test(arguments: algorithms)
    func outputsMatchTheRecordedDigests(_ algorithm: SplittingAlgorithm) throws {
        let url = try #require(Bundle.module.url(forResource: "golden_digests", withExtension: "json", subdirectory: "Fixtures/golden"))
        let recorded = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: url))
        let (actual, withJobs) = try Self.digests(algorithm)
        #expect(withJobs >= Int(Self.seeds) / 2, "most random cases must make jobs, only \(withJobs) did")
        let changed = actual.keys.filter { recorded[$0] != actual[$0] }.sorted()
        if !changed.isEmpty {
            // Leave the new digests next to the temporary files, to compare (or to re-record after a deliberate change).
            let out = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("golden_digests-\(algorithm.rawValue).json")
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            try encoder.encode(actual).write(to: out)
        }
        #expect(changed.count == 0, "\(changed.count) outputs changed, first: \(changed.prefix(5)); new digests in \(NSTemporaryDirectory())")
    }
}
