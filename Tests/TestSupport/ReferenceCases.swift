import Foundation
import JobSplitting

/// One WMCore reference splitting case (`Tests/JobSplittingTests/Fixtures/*.json`, from `data/splitting/`).
public struct ReferenceCase: Sendable {
    /// A location group and the order WMCore's `sortByLocation` handed its files to the algorithm.
    public struct LocationOrder: Decodable, Sendable { public let locations: [String]; public let lfns: [String] }
    /// Whether WMCore's output is identical, or the same multiset, across hash seeds.
    public struct SeedCheck: Decodable, Sendable {
        public let identical_across_seeds: Bool
        public let same_job_multiset_across_seeds: Bool
    }
    /// One job as WMCore made it.
    public struct ExpectedJob: Decodable, Sendable {
        public let input_files: [String]
        public let mask: JobMask
        public let estimatedJobTime: Double?
        public let estimatedDiskUsage: Double?
        public let estimatedMemoryUsage: Double?
        public let baggage: [String: ParameterValue]
        public let input_files_container: String?
    }
    /// One job group as WMCore made it.
    public struct ExpectedGroup: Decodable, Sendable { public let jobs: [ExpectedJob] }
    /// The fixture as stored.
    public struct Raw: Decodable, Sendable {
        public let algorithm: String
        public let subscription_type: String
        public let input_files: [SplitFile]
        public let sortByLocation_order: [LocationOrder]
        public let n_jobs: Int
        public let job_groups: [ExpectedGroup]
        public let hash_seed_check: SeedCheck
    }

    /// The case name (file name without `.json`).
    public let name: String
    /// The decoded fixture.
    public let raw: Raw
    /// The splitting parameters (`split_params`).
    public let parameters: SplitParameters
    /// `split_params` as JSON text.
    public let parametersJSON: Data

    /// Names of every reference case.
    public static let caseNames = [
        "eventawarelumibased_varevents_epj250", "eventbased_data_3files_epj150", "eventbased_mc_1000ev_epj150",
        "filebased_10files_3lumis_fpj3", "filebased_2sites_fpj2", "lumibased_10files_3lumis_lpj2",
        "lumibased_2runs_lpj4", "lumibased_lumimask_lpj2", "mergebysize_varsize_5000_allfiles",
        "sizebased_varsize_4000",
    ]

    /// The fixture folder in the source tree (for targets without the fixtures as resources).
    public static var fixtureFolder: String { TestSupport.packageRoot + "/Tests/JobSplittingTests/Fixtures" }

    /// Reads a case from its JSON file.
    public init(name: String, url: URL) throws {
        let data = try Data(contentsOf: url)
        raw = try JSONDecoder().decode(Raw.self, from: data)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ReferenceCaseError("\(url.path): expected a JSON object at the top level")
        }
        parametersJSON = try JSONSerialization.data(withJSONObject: object["split_params"] ?? [:], options: [.sortedKeys])
        parameters = try SplitParameters(json: parametersJSON)
        self.name = name
    }

    /// Reads a case from the source tree's fixture folder.
    public init(name: String) throws {
        try self.init(name: name, url: URL(fileURLWithPath: Self.fixtureFolder + "/" + name + ".json"))
    }

    /// The input files in the order `sortByLocation` handed them to WMCore's algorithm.
    public var filesInWMCoreOrder: [SplitFile] {
        let byLFN = Dictionary(uniqueKeysWithValues: raw.input_files.map { ($0.lfn, $0) })
        return raw.sortByLocation_order.flatMap { $0.lfns.compactMap { byLFN[$0] } }
    }

    /// WMCore's job groups, as comparable jobs.
    public var expectedGroups: [[ComparableJob]] { raw.job_groups.map { $0.jobs.map(ComparableJob.init) } }

    /// Compares jobs made by a re-implementation with WMCore's, by the rules the fixture allows.
    ///
    /// MergeBySize jobs hold a set of files, so file order inside a job is ignored there; where WMCore
    /// itself only guarantees the multiset of jobs, the jobs are compared as multisets; otherwise groups
    /// and jobs must match in order. `flat` compares one list of jobs (group boundaries unknown);
    /// `ignoringEstimates` drops estimates and baggage (outputs that do not carry them).
    /// Returns one line per difference; empty means equal.
    public func mismatches(_ actualGroups: [[ComparableJob]], flat: Bool = false, ignoringEstimates: Bool = false) -> [String] {
        let setOfFiles = raw.job_groups.first?.jobs.first?.input_files_container != nil
        func normalise(_ job: ComparableJob) -> ComparableJob {
            let sorted = setOfFiles ? job.withSortedFiles : job
            return ignoringEstimates ? sorted.withoutEstimates : sorted
        }
        var expected = expectedGroups.map { $0.map(normalise) }
        var actual = actualGroups.map { $0.map(normalise) }
        if flat {
            expected = [expected.flatMap { $0 }]
            actual = [actual.flatMap { $0 }]
        }
        let total = actual.reduce(0) { $0 + $1.count }
        var problems: [String] = []
        if total != raw.n_jobs { problems.append("\(name): \(total) jobs, expected \(raw.n_jobs)") }
        let check = raw.hash_seed_check
        if !check.identical_across_seeds && check.same_job_multiset_across_seeds {
            let e = expected.flatMap { $0 }.map(\.description).sorted()
            let a = actual.flatMap { $0 }.map(\.description).sorted()
            if a != e { problems.append("\(name): job multiset differs\n got      \(a)\n expected \(e)") }
            return problems
        }
        if actual.count != expected.count { problems.append("\(name): \(actual.count) groups, expected \(expected.count)") }
        for (a, e) in zip(actual, expected) {
            if a.count != e.count { problems.append("\(name): group of \(a.count) jobs, expected \(e.count)") }
            for (x, y) in zip(a, e) where x != y { problems.append("\(name)\n got      \(x)\n expected \(y)") }
        }
        return problems
    }
}

/// A fixture that cannot be read.
public struct ReferenceCaseError: Error, CustomStringConvertible {
    /// What is wrong, naming the file.
    public let description: String
    init(_ description: String) { self.description = description }
}

/// A job reduced to what the reference records, comparable and hashable.
public struct ComparableJob: Hashable, CustomStringConvertible, Sendable {
    /// Input LFNs in job order.
    public let files: [String]
    /// The mask, runs sorted.
    public let mask: JobMask
    /// Estimated job time.
    public let time: Double?
    /// Estimated disk.
    public let disk: Double?
    /// Estimated memory.
    public let memory: Double?
    /// Baggage.
    public let baggage: [String: ParameterValue]

    /// A job made by the re-implementation.
    public init(_ job: SplitJob) {
        self.init(files: job.inputLFNs, mask: job.mask, time: job.estimatedJobTime, disk: job.estimatedDiskUsage,
                  memory: job.estimatedMemoryUsage, baggage: job.baggage)
    }

    /// A job WMCore made.
    public init(_ job: ReferenceCase.ExpectedJob) {
        self.init(files: job.input_files, mask: job.mask, time: job.estimatedJobTime, disk: job.estimatedDiskUsage,
                  memory: job.estimatedMemoryUsage, baggage: job.baggage)
    }

    /// A job from its parts (e.g. read back from `wmctl split --json`).
    public init(files: [String], mask: JobMask, time: Double? = nil, disk: Double? = nil, memory: Double? = nil,
                baggage: [String: ParameterValue] = [:]) {
        self.files = files
        var mask = mask
        mask.runAndLumis.sort { $0.run < $1.run }
        self.mask = mask
        self.time = time
        self.disk = disk
        self.memory = memory
        self.baggage = baggage
    }

    /// The same job with its files as a sorted set.
    public var withSortedFiles: ComparableJob {
        ComparableJob(files: files.sorted(), mask: mask, time: time, disk: disk, memory: memory, baggage: baggage)
    }

    /// The same job without estimates and baggage.
    public var withoutEstimates: ComparableJob { ComparableJob(files: files, mask: mask) }

    /// A one-line summary (used to compare multisets and in failure messages).
    public var description: String {
        "files=\(files.map { $0.split(separator: "/").last ?? "" }) events=\(mask.firstEvent.map(String.init) ?? "nil")..\(mask.lastEvent.map(String.init) ?? "nil") "
            + "lumis=\(mask.firstLumi.map(String.init) ?? "nil")..\(mask.lastLumi.map(String.init) ?? "nil") "
            + "runs=\(mask.runAndLumis.map { "\($0.run):\($0.ranges)" }) t=\(time.map { "\($0)" } ?? "nil") "
            + "d=\(disk.map { "\($0)" } ?? "nil") m=\(memory.map { "\($0)" } ?? "nil") bag=\(baggage)"
    }
}
