import JobSplitting
import WMCore

/// Reads job documents fast: the value `JSONDecoder` gives for a job document of the expected schema
/// (`DocumentArea.decode`), without the decoder's generic machinery — every stage loads job documents,
/// and decoding them was a seventh of the agent's time.
///
/// It reads the shapes `JobBody`, `JobMask`, `SplitFile` (`SplitFileParser`), `JobOutputSpec` and
/// `Transition` decode, with `JSONDecoder`'s conversions (`JSONByteReader`), and keeps unknown top-level
/// keys in `extra` as `Annotated` does. Whenever it is not certain — another schema, a missing or
/// repeated key, an unexpected type, a key inside a nested object it does not know, malformed text — it
/// returns nil, and the caller falls back to `JSONDecoder`, which gives the precise error.
public enum JobDocumentReader {
    /// The document, or nil when the fast path does not apply.
    public static func read(_ bytes: [UInt8], schema: Int = jobSchemaVersion) -> Annotated<JobBody>? {
        JSONByteReader.read(bytes) { reader in
            guard let document = document(&reader, schema: schema), reader.atEnd() else { return nil }
            return document
        }
    }

    /// The top-level keys of `JobBody`, the required ones first (the optionals decode as nil when absent or null).
    private enum Key: Int {
        case schema, name, workflow, task, taskType, subscription, inputFiles, mask, retryCount, possibleSites
        case priority, estimatedTime, estimatedDisk, estimatedMemory, exitCodes, baggage, outputs, state, history
        case batchID, site, lastRunTime, numberOfCores, requiresGPU, gpuRequirements, jobExtraMatchRequirements, pileupFiles
        case includeParents, performanceMonitor
        static let requiredKeyCount = Key.batchID.rawValue

        init?(_ name: String) {
            switch name {
            case "schema": self = .schema
            case "name": self = .name
            case "workflow": self = .workflow
            case "task": self = .task
            case "taskType": self = .taskType
            case "subscription": self = .subscription
            case "inputFiles": self = .inputFiles
            case "mask": self = .mask
            case "retryCount": self = .retryCount
            case "possibleSites": self = .possibleSites
            case "priority": self = .priority
            case "estimatedTime": self = .estimatedTime
            case "estimatedDisk": self = .estimatedDisk
            case "estimatedMemory": self = .estimatedMemory
            case "exitCodes": self = .exitCodes
            case "baggage": self = .baggage
            case "outputs": self = .outputs
            case "state": self = .state
            case "history": self = .history
            case "batchID": self = .batchID
            case "site": self = .site
            case "lastRunTime": self = .lastRunTime
            case "numberOfCores": self = .numberOfCores
            case "requiresGPU": self = .requiresGPU
            case "gpuRequirements": self = .gpuRequirements
            case "jobExtraMatchRequirements": self = .jobExtraMatchRequirements
            case "pileupFiles": self = .pileupFiles
            case "includeParents": self = .includeParents
            case "performanceMonitor": self = .performanceMonitor
            default: return nil
            }
        }
    }

    private static func document(_ reader: inout JSONByteReader, schema expectedSchema: Int) -> Annotated<JobBody>? {
        var job = JobBody(name: "", workflow: "", task: "", taskType: "", subscription: "", inputFiles: [])
        var extra: [String: JSONValue] = [:]
        var seen = SeenKeys()
        let complete = reader.object { reader, name in
            guard let key = Key(name) else {
                // Not a JobBody key: kept as Annotated keeps it (the first of repeated keys wins).
                guard let value = reader.value(depth: 1) else { return false }
                if extra[name] == nil { extra[name] = value }
                return true
            }
            guard seen.first(key.rawValue) else { return false }
            switch key {
            case .schema: return reader.int() == expectedSchema
            case .name: return set(&job.name, reader.string())
            case .workflow: return set(&job.workflow, reader.string())
            case .task: return set(&job.task, reader.string())
            case .taskType: return set(&job.taskType, reader.string())
            case .subscription: return set(&job.subscription, reader.string())
            case .inputFiles: return set(&job.inputFiles, reader.list { SplitFileParser.file(&$0) })
            case .mask: return set(&job.mask, mask(&reader))
            case .retryCount: return set(&job.retryCount, reader.int())
            case .possibleSites: return set(&job.possibleSites, reader.list { $0.string() })
            case .priority: return set(&job.priority, reader.int())
            case .estimatedTime: return set(&job.estimatedTime, reader.double())
            case .estimatedDisk: return set(&job.estimatedDisk, reader.double())
            case .estimatedMemory: return set(&job.estimatedMemory, reader.double())
            case .exitCodes: return set(&job.exitCodes, reader.list { $0.int() })
            case .baggage:
                guard reader.peek() == UInt8(ascii: "{") else { return false }
                return set(&job.baggage, reader.members(depth: 2))
            case .outputs: return set(&job.outputs, dictionary(&reader) { output(&$0) })
            case .state: return set(&job.state, reader.string().flatMap(JobState.init(rawValue:)))
            case .history: return set(&job.history, reader.list { transition(&$0) })
            case .batchID: return set(&job.batchID, reader.nullOr { $0.string() })
            case .site: return set(&job.site, reader.nullOr { $0.string() })
            case .lastRunTime: return set(&job.lastRunTime, reader.nullOr { $0.double() })
            case .numberOfCores: return set(&job.numberOfCores, reader.nullOr { $0.int() })
            case .requiresGPU: return set(&job.requiresGPU, reader.nullOr { $0.string().flatMap(GPURequirement.init(rawValue:)) })
            case .gpuRequirements:
                return set(&job.gpuRequirements, reader.nullOr { $0.peek() == UInt8(ascii: "{") ? $0.members(depth: 2) : nil })
            case .jobExtraMatchRequirements: return set(&job.jobExtraMatchRequirements, reader.nullOr { $0.string() })
            case .pileupFiles:
                return set(&job.pileupFiles, reader.nullOr { $0.value(depth: 1).flatMap(PileupFile.list(json:)) })
            case .includeParents: return set(&job.includeParents, reader.nullOr { $0.bool() })
            case .performanceMonitor:
                return set(&job.performanceMonitor, reader.nullOr { $0.value(depth: 1).flatMap(PerformanceLimits.init(json:)) })
            }
        }
        guard complete, seen.containsAll(0..<Key.requiredKeyCount) else { return nil }
        return Annotated(job, extra: extra)
    }

    /// Stores a value that was read; false when there was none.
    private static func set<T>(_ field: inout T, _ value: T?) -> Bool {
        guard let value else { return false }
        field = value
        return true
    }

    /// `{"key": value, ...}` with distinct keys.
    private static func dictionary<T>(_ reader: inout JSONByteReader, _ element: (inout JSONByteReader) -> T?) -> [String: T]? {
        var result: [String: T] = [:]
        let complete = reader.object { reader, key in
            guard result[key] == nil, let value = element(&reader) else { return false }
            result[key] = value
            return true
        }
        return complete ? result : nil
    }

    /// WMCore's mask: bounds may be null or absent, `inclusivemask` defaults to true, `runAndLumis` maps
    /// run numbers (written as `String(run)`) to `[[first, last], ...]` and is sorted by run.
    private static func mask(_ reader: inout JSONByteReader) -> JobMask? {
        var mask = JobMask()
        var seen = SeenKeys()
        let complete = reader.object { reader, key in
            switch key {
            case "FirstEvent": return seen.first(0) && set(&mask.firstEvent, reader.nullOr { $0.int() })
            case "LastEvent": return seen.first(1) && set(&mask.lastEvent, reader.nullOr { $0.int() })
            case "FirstLumi": return seen.first(2) && set(&mask.firstLumi, reader.nullOr { $0.int() })
            case "LastLumi": return seen.first(3) && set(&mask.lastLumi, reader.nullOr { $0.int() })
            case "FirstRun": return seen.first(4) && set(&mask.firstRun, reader.nullOr { $0.int() })
            case "LastRun": return seen.first(5) && set(&mask.lastRun, reader.nullOr { $0.int() })
            case "inclusivemask":
                return seen.first(6) && set(&mask.inclusiveMask, reader.nullOr { $0.bool() }.map { $0 ?? true })
            case "runAndLumis":
                return seen.first(7) && set(&mask.runAndLumis, reader.nullOr { runAndLumis(&$0) }.map { $0 ?? [] })
            default: return false
            }
        }
        return complete ? mask : nil
    }

    private static func runAndLumis(_ reader: inout JSONByteReader) -> [RunLumiRanges]? {
        var entries: [RunLumiRanges] = []
        let complete = reader.object { reader, key in
            guard let run = Int(key), String(run) == key, !entries.contains(where: { $0.run == run }),
                  let ranges = reader.list({ $0.list { $0.int() } }) else { return false }
            entries.append(RunLumiRanges(run: run, ranges: ranges))
            return true
        }
        return complete ? entries.sorted { $0.run < $1.run } : nil
    }

    private static func output(_ reader: inout JSONByteReader) -> JobOutputSpec? {
        var spec = JobOutputSpec(dataTier: "", dataset: "", lfnBase: "", merged: false)
        var seen = SeenKeys()
        let complete = reader.object { reader, key in
            switch key {
            case "dataTier": return seen.first(0) && set(&spec.dataTier, reader.string())
            case "dataset": return seen.first(1) && set(&spec.dataset, reader.string())
            case "lfnBase": return seen.first(2) && set(&spec.lfnBase, reader.string())
            case "merged": return seen.first(3) && set(&spec.merged, reader.bool())
            case "filterMask": return seen.first(4) && set(&spec.filterMask, reader.uint64())
            default: return false
            }
        }
        return complete && seen.containsAll(0..<5) ? spec : nil
    }

    private static func transition(_ reader: inout JSONByteReader) -> Transition? {
        var record = Transition(from: "", to: "", time: 0, actor: "", reason: "")
        var seen = SeenKeys()
        let complete = reader.object { reader, key in
            switch key {
            case "from": return seen.first(0) && set(&record.from, reader.string())
            case "to": return seen.first(1) && set(&record.to, reader.string())
            case "time": return seen.first(2) && set(&record.time, reader.double())
            case "actor": return seen.first(3) && set(&record.actor, reader.string())
            case "reason": return seen.first(4) && set(&record.reason, reader.string())
            default: return false
            }
        }
        return complete && seen.containsAll(0..<5) ? record : nil
    }
}
