import Foundation
import Testing
@testable import JobSplitting

/// One WMCore reference case (`Fixtures/*.json`).
struct ReferenceCase {
    struct LocationOrder: Decodable { let locations: [String]; let lfns: [String] }
    struct SeedCheck: Decodable {
        let identical_across_seeds: Bool
        let same_job_multiset_across_seeds: Bool
    }
    struct ExpectedJob: Decodable {
        let input_files: [String]
        let mask: JobMask
        let estimatedJobTime: Double?
        let estimatedDiskUsage: Double?
        let estimatedMemoryUsage: Double?
        let baggage: [String: ParameterValue]
        let input_files_container: String?
    }
    struct ExpectedGroup: Decodable { let jobs: [ExpectedJob] }
    struct Raw: Decodable {
        let algorithm: String
        let subscription_type: String
        let input_files: [SplitFile]
        let sortByLocation_order: [LocationOrder]
        let n_jobs: Int
        let job_groups: [ExpectedGroup]
        let hash_seed_check: SeedCheck
    }

    let name: String
    let raw: Raw
    let parameters: SplitParameters

    init(name: String) throws {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"))
        let data = try Data(contentsOf: url)
        raw = try JSONDecoder().decode(Raw.self, from: data)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let params = try JSONSerialization.data(withJSONObject: object["split_params"] ?? [:])
        parameters = try SplitParameters(json: params)
        self.name = name
    }

    /// The input files in the order `sortByLocation` handed them to WMCore's algorithm.
    var filesInWMCoreOrder: [SplitFile] {
        let byLFN = Dictionary(uniqueKeysWithValues: raw.input_files.map { ($0.lfn, $0) })
        return raw.sortByLocation_order.flatMap { $0.lfns.compactMap { byLFN[$0] } }
    }
}

/// A job reduced to what the reference records, comparable and hashable.
struct ComparableJob: Hashable, CustomStringConvertible {
    let files: [String]
    let mask: JobMask
    let time: Double?
    let disk: Double?
    let memory: Double?
    let baggage: [String: ParameterValue]

    init(_ job: SplitJob) {
        files = job.inputLFNs
        var mask = job.mask
        mask.runAndLumis.sort { $0.run < $1.run }
        self.mask = mask
        time = job.estimatedJobTime
        disk = job.estimatedDiskUsage
        memory = job.estimatedMemoryUsage
        baggage = job.baggage
    }

    init(_ job: ReferenceCase.ExpectedJob) {
        files = job.input_files
        mask = job.mask
        time = job.estimatedJobTime
        disk = job.estimatedDiskUsage
        memory = job.estimatedMemoryUsage
        baggage = job.baggage
    }

    /// The same job with its files as a sorted set.
    var withSortedFiles: ComparableJob { ComparableJob(files: files.sorted(), self) }

    private init(files: [String], _ other: ComparableJob) {
        self.files = files
        mask = other.mask
        time = other.time
        disk = other.disk
        memory = other.memory
        baggage = other.baggage
    }

    var description: String {
        "files=\(files.map { $0.split(separator: "/").last ?? "" }) events=\(mask.firstEvent.map(String.init) ?? "nil")..\(mask.lastEvent.map(String.init) ?? "nil") "
            + "lumis=\(mask.firstLumi.map(String.init) ?? "nil")..\(mask.lastLumi.map(String.init) ?? "nil") "
            + "runs=\(mask.runAndLumis.map { "\($0.run):\($0.ranges)" }) t=\(time.map { "\($0)" } ?? "nil") "
            + "d=\(disk.map { "\($0)" } ?? "nil") m=\(memory.map { "\($0)" } ?? "nil") bag=\(baggage)"
    }
}
