import Foundation

/// Where and under which limits a job attempt runs: the `runtime.json` the submitter writes beside
/// `job.json` in the job's work directory. Every key is optional; see the `resolved…` accessors for
/// the defaults.
public struct JobRuntime: Codable, Hashable, Sendable {
    /// The spool root (absolute); the submitter always writes it. Default: the one the caller derives from the
    /// work directory (the wrapper asks Stages' `JobWorkDirectory.spoolRoot`, the one work-directory definition).
    public var spool: String?
    /// The processing site (PSN). Default: the job's `site`, else `defaultSite`.
    public var site: String?
    /// The storage node (PNN) outputs are staged out to. Default: the site.
    public var pnn: String?
    /// Prefix of the PNN's storage: PFN = prefix + LFN. Default `<spool>/storage/<pnn>`.
    public var storagePrefix: String?
    /// Storage prefixes of other PNNs that hold input files. A location without an entry
    /// defaults to `<spool>/storage/<location>`.
    public var inputPrefixes: [String: String]
    /// Wall-time limit of the cmsRun step in seconds. Default: 3 × the job's estimated time.
    public var wallTimeLimit: Double?
    /// Resident-memory limit of the cmsRun step in MB. Default: no limit.
    public var memoryLimitMB: Double?

    /// The site used when neither the runtime nor the job names one.
    public static let defaultSite = "T2_CH_CERN"

    /// Makes a runtime description; everything defaults.
    public init(spool: String? = nil, site: String? = nil, pnn: String? = nil, storagePrefix: String? = nil,
                inputPrefixes: [String: String] = [:], wallTimeLimit: Double? = nil, memoryLimitMB: Double? = nil) {
        self.spool = spool
        self.site = site
        self.pnn = pnn
        self.storagePrefix = storagePrefix
        self.inputPrefixes = inputPrefixes
        self.wallTimeLimit = wallTimeLimit
        self.memoryLimitMB = memoryLimitMB
    }

    private enum CodingKeys: String, CodingKey {
        case spool, site, pnn, storagePrefix, inputPrefixes, wallTimeLimit, memoryLimitMB
    }

    /// Decodes `runtime.json`; every key may be absent.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        spool = try c.decodeIfPresent(String.self, forKey: .spool)
        site = try c.decodeIfPresent(String.self, forKey: .site)
        pnn = try c.decodeIfPresent(String.self, forKey: .pnn)
        storagePrefix = try c.decodeIfPresent(String.self, forKey: .storagePrefix)
        inputPrefixes = try c.decodeIfPresent([String: String].self, forKey: .inputPrefixes) ?? [:]
        wallTimeLimit = try c.decodeIfPresent(Double.self, forKey: .wallTimeLimit)
        memoryLimitMB = try c.decodeIfPresent(Double.self, forKey: .memoryLimitMB)
    }

    /// Decodes `runtime.json`'s bytes (read by the caller, from `path`).
    /// - Throws: `RuntimePlanError.unreadableRuntime` naming the file and the decoding problem.
    public static func decode(_ bytes: [UInt8], path: String) throws(RuntimePlanError) -> JobRuntime {
        do {
            return try JSONDecoder().decode(JobRuntime.self, from: Data(bytes))
        } catch {
            throw .unreadableRuntime(path: path, reason: String(describing: error))
        }
    }

    /// The spool root: `spool`, else `defaultSpool`.
    public func resolvedSpool(defaultSpool: String) -> String { spool ?? defaultSpool }

    /// The site the job runs at.
    public func resolvedSite(jobSite: String?) -> String { site ?? jobSite ?? Self.defaultSite }

    /// The storage node outputs go to.
    public func resolvedPNN(jobSite: String?) -> String { pnn ?? resolvedSite(jobSite: jobSite) }

    /// The prefix of the local storage node: `storagePrefix`, else `<spool>/<storageFolder>/<PNN>`
    /// (`storageFolder` is the spool map's, e.g. `storage`; the domain knows no folder names).
    public func resolvedStoragePrefix(defaultSpool: String, storageFolder: String, jobSite: String?) -> String {
        storagePrefix ?? Self.join(resolvedSpool(defaultSpool: defaultSpool), storageFolder, resolvedPNN(jobSite: jobSite))
    }

    /// The prefix under which a file held at `locations` is read: the local node if it holds the
    /// file, else the first location with an `inputPrefixes` entry, else `<spool>/<storageFolder>/<first
    /// location>`; the local node for a file with no location.
    public func inputPrefix(locations: [String], defaultSpool: String, storageFolder: String, jobSite: String?) -> String {
        let local = resolvedPNN(jobSite: jobSite)
        if locations.isEmpty || locations.contains(local) {
            return resolvedStoragePrefix(defaultSpool: defaultSpool, storageFolder: storageFolder, jobSite: jobSite)
        }
        if let known = locations.first(where: { inputPrefixes[$0] != nil }) { return inputPrefixes[known]! }
        return Self.join(resolvedSpool(defaultSpool: defaultSpool), storageFolder, locations[0])
    }

    /// The wall-time limit in seconds: `wallTimeLimit`, else 3 × `estimatedTime` when positive, else none.
    public func resolvedWallTimeLimit(estimatedTime: Double) -> Double? {
        wallTimeLimit ?? (estimatedTime > 0 ? estimatedTime * 3 : nil)
    }

    /// PFN = prefix + LFN (no separator is added or removed: LFNs start with `/`).
    public static func pfn(prefix: String, lfn: String) -> String { prefix + lfn }

    private static func join(_ parts: String...) -> String {
        parts.dropFirst().reduce(parts[0]) { $0.hasSuffix("/") ? $0 + $1 : $0 + "/" + $1 }
    }
}
