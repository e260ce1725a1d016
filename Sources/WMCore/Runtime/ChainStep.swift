import DynamicJSON
import Foundation

/// One cmsRun step of a StepChain job (WMCore's `cmsRun1..N` of the single StepChain task): its output modules,
/// where it reads from and the settings it runs with. The workload builder makes them from `Step1..N`; the WMBS
/// injector copies them into the job's baggage (key `steps`); the step planner plans one cmsRun step from each.
public struct ChainStep: Codable, Hashable, Sendable {
    /// The step name (`StepName`, e.g. `GENSIM`).
    public var name: String
    /// The output modules the step writes → their data tiers.
    public var outputTiers: [String: String]
    /// The output module of the previous step this step reads locally (`InputFromOutputModule`); nil for the first step.
    public var inputModule: String?
    /// `CMSSWVersion` of the step (its own, else the request's).
    public var cmsswVersion: String?
    /// `GlobalTag` of the step (its own, else the request's).
    public var globalTag: String?
    /// `EventsPerLumi` of the step (only the generating first step uses it).
    public var eventsPerLumi: Int?
    /// True for a step that mixes pileup (its own or the request's `MCPileup`/`DataPileup`): it reads the job's
    /// `pileupFiles`; nil or false for a step without pileup.
    public var mixesPileup: Bool?

    /// Makes a step.
    public init(name: String, outputTiers: [String: String], inputModule: String? = nil, cmsswVersion: String? = nil,
                globalTag: String? = nil, eventsPerLumi: Int? = nil, mixesPileup: Bool? = nil) {
        self.name = name
        self.outputTiers = outputTiers
        self.inputModule = inputModule
        self.cmsswVersion = cmsswVersion
        self.globalTag = globalTag
        self.eventsPerLumi = eventsPerLumi
        self.mixesPileup = mixesPileup
    }

    /// The output modules the step writes, sorted (the order their local files are numbered in).
    public var outputModules: [String] { outputTiers.keys.sorted() }

    /// The release and GlobalTag of the output module `module` of a job with `baggage`: those of the StepChain step
    /// (baggage `steps`) that writes it, else the job's (`CMSSWVersion`, `GlobalTag`); nil where neither says.
    public static func provenance(ofModule module: String, baggage: [String: JSONValue]) -> (release: String?, globalTag: String?) {
        let step = (try? steps(inBaggage: baggage))?.first { $0.outputTiers[module] != nil }
        return (step?.cmsswVersion ?? baggage["CMSSWVersion"]?.stringValue, step?.globalTag ?? baggage["GlobalTag"]?.stringValue)
    }

    /// The baggage key that carries a StepChain job's steps.
    public static let baggageKey = "steps"

    /// The steps as a baggage value.
    public static func baggageValue(_ steps: [ChainStep]) -> JSONValue {
        .array(steps.map { step in
            var object: [String: JSONValue] = ["name": .string(step.name), "outputTiers": .object(step.outputTiers.mapValues { .string($0) })]
            if let module = step.inputModule { object["inputModule"] = .string(module) }
            if let version = step.cmsswVersion { object["cmsswVersion"] = .string(version) }
            if let tag = step.globalTag { object["globalTag"] = .string(tag) }
            if let perLumi = step.eventsPerLumi { object["eventsPerLumi"] = .int(perLumi) }
            if step.mixesPileup == true { object["mixesPileup"] = .bool(true) }
            return .object(object)
        })
    }

    /// The steps a job's baggage carries (empty when it has none).
    /// - Throws: `RuntimePlanError.invalidField` naming `baggage.steps` when the value is not a list of steps.
    public static func steps(inBaggage baggage: [String: JSONValue]) throws(RuntimePlanError) -> [ChainStep] {
        guard let value = baggage[baggageKey] else { return [] }
        do {
            return try JSONDecoder().decode([ChainStep].self, from: Data(value.serialized.utf8))
        } catch {
            throw .invalidField(field: "baggage.\(baggageKey)",
                                expected: "a list of {name, outputTiers: {module: tier}, inputModule?, cmsswVersion?, globalTag?, eventsPerLumi?, mixesPileup?}, got \(value.serialized)")
        }
    }
}
