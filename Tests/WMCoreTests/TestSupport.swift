import Foundation
import Testing
@testable import WMCore

/// Fixtures and fakes shared by the request and work-queue tests.
enum Support {
    /// The template names in Fixtures.
    static let templates = ["TC_ProdPsi", "TC_6Tasks_PU", "SC_ProdPsi", "ReReco_LumiMask", "ReReco_badBlocks", "DQMHarvest_RunWhitelist",
                            "TC_GPU", "SC_GPU", "SC_6Tasks_PU", "TC_Parent_LumiMask", "SC_Parent_LumiMask"]

    /// Values filling every `-OVERRIDE-ME` of the templates.
    static let overrides: [String: JSONValue] = [
        "Team": .string("production"),
        "SiteWhitelist": .array([.string("T1_US_FNAL"), .string("T2_CH_CERN")]),
        "AcquisitionEra": .string("Run3Test"),
        "ProcessingString": .string("TEST_v1"),
        "Campaign": .string("Campaign_Test"),
        "RequestString": .string("wmspool_test"),
        "Dashboard": .string("integration"),
        // TC_ProdPsi / SC_ProdPsi ask for custodial and disk copies, which this system refuses (no such rules are made).
        "CustodialSites": .array([]),
        "NonCustodialSites": .array([]),
    ]

    /// Reads a template from Fixtures.
    static func template(_ name: String) throws -> RequestInput {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"))
        return try RequestInput.parse(Data(contentsOf: url))
    }

    /// A configuration with the given output modules (label → tier).
    static func config(_ modules: [String: String]) -> TaskConfiguration {
        TaskConfiguration(outputModules: modules.mapValues { ConfigOutputModule(dataTier: $0) })
    }

    /// The config cache the templates refer to.
    static let configCache = InMemoryConfigCache([
        // TC_ProdPsi / SC_ProdPsi
        "527f598f9168f0145d17417be583c7ef": config(["FEVTDEBUGoutput": "GEN-SIM"]),
        "527f598f9168f0145d17417be583db58": config(["FEVTDEBUGHLToutput": "GEN-SIM-DIGI-RAW"]),
        "527f598f9168f0145d17417be584029f": config(["RECOSIMoutput": "GEN-SIM-RECO", "DQMoutput": "DQMIO"]),
        "527f598f9168f0145d17417be5841ef4": config([:]),
        // TC_GPU / SC_GPU
        "c317221f698cedad81275c2eca5c0b40": config(["FEVTDEBUGoutput": "GEN-SIM"]),
        "c317221f698cedad81275c2eca5c35ca": config(["FEVTDEBUGHLToutput": "GEN-SIM-DIGI-RAW"]),
        "c317221f698cedad81275c2eca5c61b3": config(["RECOSIMoutput": "GEN-SIM-RECO", "DQMoutput": "DQMIO"]),
        "c317221f698cedad81275c2eca5cbe88": config([:]),
        // TC_6Tasks_PU
        "abd4cc458ae724060c82a8c7e8535570": config(["RAWSIMoutput": "GEN"]),
        "08a4940e14b0b7a2f0f4720a0f22bacb": config(["RAWSIMoutput": "GEN-SIM"]),
        "08a4940e14b0b7a2f0f4720a0f23bdce": config(["PREMIXRAWoutput": "GEN-SIM-DIGI"]),
        "1b96d80d6061d572208f6a0ef554734c": config(["RAWSIMoutput": "GEN-SIM-RAW"]),
        "08a4940e14b0b7a2f0f4720a0f2436d0": config(["AODSIMoutput": "AODSIM"]),
        "c121f9d5ea13ca2b315c408778e5693a": config(["MINIAODSIMoutput": "MINIAODSIM"]),
        // TC_Parent_LumiMask / SC_Parent_LumiMask
        "544d8059f5f200f8959e2e4fab11a94e": config(["MINIAODoutput": "MINIAOD"]),
        // ReReco_LumiMask
        "3852d43544da0301ed0e04da715182b5": config(["RECOoutput": "RECO", "DQMoutput": "DQMIO"]),
        "3852d43544da0301ed0e04da7152ca79": config([:]),
        // ReReco_badBlocks
        "573976a90ba04b7a9dbdd98e43ffcc9d": config(["RECOoutput": "RECO", "AODoutput": "AOD"]),
        "573976a90ba04b7a9dbdd98e43fcfeea": config([:]),
        // DQMHarvest_RunWhitelist
        "7ab63e3a9a3e83c05ebdd4d4772004f3": config([:]),
    ])

    /// A valid file with one lumi per entry of `lumis` (run, lumi), 100 events per lumi.
    static func file(_ lfn: String, run: Int, lumis: ClosedRange<Int>, valid: Bool = true) -> CatalogFile {
        CatalogFile(lfn: lfn, size: 1_000_000 * lumis.count, events: 100 * lumis.count, adler32: "0000abcd", cksum: "12345",
                    lumis: lumis.map { LumiSection(run: run, lumi: $0, events: 100) }, isValid: valid)
    }

    /// A block of `dataset` named `#<suffix>` at `locations`.
    static func block(_ dataset: String, _ suffix: String, at locations: [String], files: [CatalogFile]) -> CatalogBlock {
        CatalogBlock(name: "\(dataset)#\(suffix)", locations: locations, isOpen: false, files: files)
    }

    static let muonEG = "/MuonEG/Run2022C-v1/RAW"
    static let doubleMuon = "/DoubleMuon/Run2018A-v1/RAW"
    static let jetMET = "/JetMET0/Run2024D-2024CDEReprocessing-v1/DQMIO"
    static let minimumBias = "/MinimumBias/Run2023C-22Sep2023_v4-v1/MINIAOD"
    static let minimumBiasParent = "/MinimumBias/Run2023C-22Sep2023_v4-v1/AOD"
    static let minimumBiasBlocks = ["146eb70b-12ad-47dd-a109-b7feef4927cf", "5b047ae4-f01e-44b4-b960-ae443ed46c2e",
                                    "7597e092-5056-4316-b7b6-0b5aa48d6829"]
    static let pileup = "/Neutrino_E-10_gun/RunIISummer20ULPrePremix-UL16_106X_mcRun2_asymptotic_v13-v1/PREMIX"

    /// The catalog the templates refer to.
    ///
    /// MuonEG (LumiList 356164: 11-15, 21-30, 40; 356165: 1-10, 16-20; 356174: 1-2): blocks a (356164 lumis
    /// 10-20 in two files; only the 10-15 file has listed lumis), b (356165 1-20), c (run 356170, not listed),
    /// d (356174 1-3) → 3 blocks kept.
    /// DoubleMuon (RunWhitelist 316877, 316879, 316928): a (316877), b (316879 but only invalid files),
    /// c (316900), d (316928 and 316930) → 2 blocks kept.
    /// JetMET0 (RunWhitelist 380306, 380307, 380346, 380348, 380385, 380400): runs 380306, 380307, 380400,
    /// 380500 → one element, 3 runs.
    static let catalog = InMemoryCatalog([
        CatalogDataset(name: muonEG, blocks: [
            block(muonEG, "a", at: ["T1_US_FNAL_Disk"], files: [file("/store/data/a1.root", run: 356164, lumis: 10...15),
                                                              file("/store/data/a2.root", run: 356164, lumis: 16...20)]),
            block(muonEG, "b", at: ["T2_CH_CERN"], files: [file("/store/data/b1.root", run: 356165, lumis: 1...10),
                                                         file("/store/data/b2.root", run: 356165, lumis: 11...20)]),
            block(muonEG, "c", at: ["T2_CH_CERN"], files: [file("/store/data/c1.root", run: 356170, lumis: 1...5)]),
            block(muonEG, "d", at: ["T1_US_FNAL_Disk"], files: [file("/store/data/d1.root", run: 356174, lumis: 1...3)]),
        ]),
        CatalogDataset(name: doubleMuon, blocks: [
            block(doubleMuon, "a", at: ["T1_US_FNAL_Disk"], files: [file("/store/data/dm/a1.root", run: 316877, lumis: 1...4)]),
            block(doubleMuon, "b", at: ["T1_US_FNAL_Disk"], files: [file("/store/data/dm/b1.root", run: 316879, lumis: 1...4, valid: false)]),
            block(doubleMuon, "c", at: ["T2_CH_CERN"], files: [file("/store/data/dm/c1.root", run: 316900, lumis: 1...4)]),
            block(doubleMuon, "d", at: ["T2_CH_CERN"], files: [file("/store/data/dm/d1.root", run: 316928, lumis: 1...4),
                                                             file("/store/data/dm/d2.root", run: 316930, lumis: 1...4)]),
        ]),
        CatalogDataset(name: jetMET, blocks: [
            block(jetMET, "a", at: ["T2_CH_CERN"], files: [file("/store/data/j/a1.root", run: 380306, lumis: 1...2),
                                                         file("/store/data/j/a2.root", run: 380307, lumis: 1...2)]),
            block(jetMET, "b", at: ["T1_US_FNAL_Disk"], files: [file("/store/data/j/b1.root", run: 380400, lumis: 1...2),
                                                              file("/store/data/j/b2.root", run: 380500, lumis: 1...2)]),
        ]),
        // TC_Parent_LumiMask / SC_Parent_LumiMask: the three whitelisted MINIAOD blocks (runs 367786, 367832, 367913)
        // whose files each have one AOD parent.
        CatalogDataset(name: minimumBias, blocks: zip(minimumBiasBlocks, [367786, 367832, 367913]).map { suffix, run in
            var child = file("/store/data/mb/miniaod-\(run).root", run: run, lumis: 1...70)
            child.parents = ["/store/data/mb/aod-\(run).root"]
            return block(minimumBias, suffix, at: ["T2_CH_CERN"], files: [child])
        }, parent: minimumBiasParent),
        CatalogDataset(name: minimumBiasParent, blocks: [
            block(minimumBiasParent, "aod", at: ["T2_CH_CERN"], files: [367786, 367832, 367913].map {
                file("/store/data/mb/aod-\($0).root", run: $0, lumis: 1...70)
            }),
        ]),
        CatalogDataset(name: pileup, blocks: [
            block(pileup, "p", at: ["T1_US_FNAL_Disk"], files: [file("/store/mc/pu.root", run: 1, lumis: 1...10)]),
        ]),
    ])

    static let validator = RequestValidator(configCache: configCache, catalog: catalog)
    static let now = 1_750_000_000.25

    /// A template taken through parse, overrides, validation, naming, assignment, workload and start policy.
    struct Pipeline {
        var create: RequestArguments
        var assign: RequestArguments
        var request: RequestBody
        var workload: Workload
        var elements: [ElementBody]
    }

    /// Runs the whole chain on a template.
    static func run(_ name: String, monteCarlo: MonteCarloPolicy = MonteCarloPolicy(),
                    extra: [String: JSONValue] = [:]) throws -> Pipeline {
        var input = try template(name)
        input.applyOverrides(overrides.merging(extra) { $1 })
        let (create, assign) = try validator.validate(input)
        let assignment = try #require(assign)
        let requestName = try RequestNaming.checkedName(requestor: create.requestor, requestString: create.requestString,
                                                        at: Date(timeIntervalSince1970: now))
        var request = RequestBody(name: requestName, arguments: create, at: now)
        try request.transition(to: .assignmentApproved, actor: "operator", reason: "approved", at: now)
        try request.assign(assignment, actor: "operator", at: now)
        let workload = try WorkloadBuilder.build(name: requestName, request: create, assignment: assignment, configCache: configCache)
        let elements = try WorkQueueSplitter.elements(workload: workload, context: ElementContext(request: request, at: now),
                                                      catalog: catalog, monteCarlo: monteCarlo)
        return Pipeline(create: create, assign: assignment, request: request, workload: workload, elements: elements)
    }
}
