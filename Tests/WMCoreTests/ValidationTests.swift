import Foundation
import Testing
@testable import WMCore

/// Create- and assign-time validation: every problem is reported, naming its field.
@Suite struct ValidationTests {
    /// A minimal valid ReReco request.
    static let reReco: [String: JSONValue] = [
        "RequestType": .string("ReReco"),
        "RequestString": .string("rereco_test"),
        "CMSSWVersion": .string("CMSSW_12_4_14_patch1"),
        "ScramArch": .string("el8_amd64_gcc10"),
        "GlobalTag": .string("124X_dataRun3_v15"),
        "InputDataset": .string(Support.muonEG),
        "ConfigCacheID": .string("3852d43544da0301ed0e04da715182b5"),
    ]

    func problems(_ args: [String: JSONValue]) -> [RequestProblem] {
        do {
            _ = try Support.validator.validateCreate(args)
            return []
        } catch { return error.problems }
    }

    @Test func minimalRequestIsAcceptedWithDefaults() throws {
        let args = try Support.validator.validateCreate(Self.reReco)
        #expect(args.priority == 8000)
        #expect(args.requestor == "operator")
        #expect(args.strings("ScramArch") == ["el8_amd64_gcc10"])
        #expect(args.string("SplittingAlgo") == "EventAwareLumiBased")
        #expect(args.int("LumisPerJob") == 8)
    }

    /// Issue 19: a merge limit given at creation survives an assignment that omits it; one given at assignment wins.
    @Test func aMergeLimitGivenAtCreationSurvivesAnAssignmentThatOmitsIt() throws {
        let request = try Support.validator.validateCreate(Self.reReco.merging(["MinMergeSize": .int(1000), "MaxMergeEvents": .int(5000)]) { $1 })
        let assignment: [String: JSONValue] = ["Team": .string("production"), "SiteWhitelist": .array([.string("T2_CH_CERN")]),
                                               "AcquisitionEra": .string("Run3"), "ProcessingString": .string("TEST"),
                                               "MaxMergeEvents": .int(7000)]
        let assigned = try Support.validator.validateAssign(assignment, request: request)
        #expect(assigned.int("MinMergeSize") == 1000, "the creation value, not the assignment's default")
        #expect(assigned.int("MaxMergeEvents") == 7000, "the assignment's value wins")
        #expect(assigned.int("MaxMergeSize") == 4_294_967_296, "neither set it: the default")
    }

    @Test func valuesAreCastTheReqMgr2Way() throws {
        var raw = Self.reReco
        raw["RequestPriority"] = .string("5000")
        raw["Memory"] = .string("2500.5")
        raw["EnableHarvesting"] = .string("false")
        raw["RunWhitelist"] = .string("356164, 356165")
        raw["SiteWhitelist"] = .string("T1_US_FNAL,T2_CH_CERN")
        let args = try Support.validator.validateCreate(raw)
        #expect(args["RequestPriority"] == .int(5000))
        #expect(args["Memory"] == .double(2500.5))
        #expect(args["EnableHarvesting"] == .bool(false))
        #expect(args.ints("RunWhitelist") == [356164, 356165])
        #expect(args.siteWhitelist == ["T1_US_FNAL", "T2_CH_CERN"])
    }

    @Test func missingMandatoryField() {
        var raw = Self.reReco
        raw.removeValue(forKey: "GlobalTag")
        let found = problems(raw)
        #expect(found.map(\.field) == ["GlobalTag"])
        #expect(found.first?.value == "<missing>")
    }

    @Test func unknownField() {
        var raw = Self.reReco
        raw["NotAnArgument"] = .int(1)
        #expect(problems(raw).map(\.field) == ["NotAnArgument"])
    }

    @Test func wrongType() {
        var raw = Self.reReco
        raw["Multicore"] = .string("four")
        let found = problems(raw)
        #expect(found.map(\.field) == ["Multicore"])
        #expect(found.first?.expected == "an integer")
    }

    @Test func badDatasetName() {
        var raw = Self.reReco
        raw["InputDataset"] = .string("/1MuonEG/Run2022C-v1/raw")
        let found = problems(raw)
        #expect(found.map(\.field) == ["InputDataset"])
        #expect(found.first?.expected.contains("/<primary>/<processed>/<TIER>") == true)
    }

    @Test func datasetUnknownToTheCatalog() {
        var raw = Self.reReco
        raw["InputDataset"] = .string("/MuonEG/Run2022C-v9/RAW")
        #expect(problems(raw).map(\.field) == ["InputDataset"])
    }

    @Test(arguments: [(999_999, true), (1_000_000, false), (-1, false), (0, true)])
    func priorityRange(priority: Int, accepted: Bool) {
        var raw = Self.reReco
        raw["RequestPriority"] = .int(priority)
        #expect(problems(raw).map(\.field) == (accepted ? [] : ["RequestPriority"]))
    }

    @Test func overlappingSiteLists() {
        var raw = Self.reReco
        raw["SiteWhitelist"] = .array([.string("T1_US_FNAL"), .string("T2_CH_CERN")])
        raw["SiteBlacklist"] = .array([.string("T2_CH_CERN")])
        let found = problems(raw)
        #expect(found.map(\.field) == ["SiteBlacklist"])
        #expect(found.first?.value == "T2_CH_CERN")
    }

    @Test func badSiteName() {
        var raw = Self.reReco
        raw["SiteWhitelist"] = .array([.string("T9_US_FNAL")])
        #expect(problems(raw).map(\.field) == ["SiteWhitelist"])
    }

    @Test func everyProblemAtOnce() {
        var raw = Self.reReco
        raw.removeValue(forKey: "GlobalTag")
        raw["Bogus"] = .string("x")
        raw["Multicore"] = .bool(true)
        raw["InputDataset"] = .string("not-a-dataset")
        raw["RequestPriority"] = .int(1_000_000)
        raw["SiteWhitelist"] = .array([.string("T1_US_FNAL")])
        raw["SiteBlacklist"] = .array([.string("T1_US_FNAL")])
        raw["ProcessingString"] = .string("bad string!")
        let fields = Set(problems(raw).map(\.field))
        #expect(fields == ["GlobalTag", "Bogus", "Multicore", "InputDataset", "RequestPriority", "SiteBlacklist", "ProcessingString"])
        let message = RequestRejected(stage: "create", problems: problems(raw)).description
        #expect(message.contains("7 problems"))
    }

    @Test func missingRequestTypeStopsEarlyWithItsProblem() {
        var raw = Self.reReco
        raw["RequestType"] = .string("MonteCarloFromGEN")
        #expect(problems(raw).map(\.field) == ["RequestType"])
    }

    /// A chain task whose InputFromOutputModule names a module its parent's configuration lacks is rejected.
    @Test func inputFromOutputModuleMustExistInParentConfiguration() throws {
        var input = try Support.template("TC_ProdPsi")
        input.applyOverrides(Support.overrides)
        var task2 = try #require(input.create["Task2"]?.objectValue)
        task2["InputFromOutputModule"] = .string("RAWSIMoutput")
        input.create["Task2"] = .object(task2)
        let error = #expect(throws: RequestRejected.self) { try Support.validator.validate(input) }
        let problem = try #require(error?.problems.first)
        #expect(error?.problems.count == 1)
        #expect(problem.field == "createRequest.Task2.InputFromOutputModule")
        #expect(problem.expected.contains("FEVTDEBUGoutput"))
    }

    @Test func chainItemsAreCheckedAgainstTheCount() throws {
        var input = try Support.template("TC_ProdPsi")
        input.applyOverrides(Support.overrides)
        input.create["TaskChain"] = .int(2)
        var task2 = try #require(input.create["Task2"]?.objectValue)
        task2["InputTask"] = .string("NoSuchTask")
        task2["EventsPerJob"] = .string("many")
        input.create["Task2"] = .object(task2)
        let fields = Set(try #require(#expect(throws: RequestRejected.self) { try Support.validator.validate(input) }).problems.map(\.field))
        // Task3 is gone, so the assignment's per-task maps may not name it either.
        #expect(fields == ["createRequest.Task3", "createRequest.Task2.InputTask", "createRequest.Task2.EventsPerJob",
                           "assignRequest.AcquisitionEra.Reco_2021noPU", "assignRequest.ProcessingString.Reco_2021noPU"])
    }

    @Test func generatorTaskNeedsEventsAndPrimaryDataset() throws {
        var input = try Support.template("TC_ProdPsi")
        input.applyOverrides(Support.overrides)
        var task1 = try #require(input.create["Task1"]?.objectValue)
        task1.removeValue(forKey: "RequestNumEvents")
        input.create["Task1"] = .object(task1)
        let error = #expect(throws: RequestRejected.self) { try Support.validator.validate(input) }
        #expect(error?.problems.map(\.field) == ["createRequest.Task1.RequestNumEvents"])
    }

    @Test func assignmentIsValidated() throws {
        let create = try Support.validator.validateCreate(Self.reReco)
        let good: [String: JSONValue] = ["Team": .string("production"), "SiteWhitelist": .array([.string("T1_US_FNAL")]),
                                         "AcquisitionEra": .string("Run2022C"), "ProcessingVersion": .string("3")]
        let assignment = try Support.validator.validateAssign(good, request: create, status: .assignmentApproved)
        #expect(assignment.int("ProcessingVersion") == 3)
        #expect(assignment.string("Dashboard") == "production")

        let bad: [String: JSONValue] = ["Team": .string(""), "SiteWhitelist": .array([]), "SiteBlacklist": .array([.string("T2_XX")]),
                                        "RequestPriority": .int(1_000_000), "Extra": .int(1)]
        let error = #expect(throws: RequestRejected.self) {
            try Support.validator.validateAssign(bad, request: create, status: .new)
        }
        #expect(Set(error?.problems.map(\.field) ?? []) == ["Team", "SiteWhitelist", "SiteBlacklist", "RequestPriority", "Extra", "RequestStatus"])
    }

    @Test func perTaskAssignmentKeysMustBeTasks() throws {
        var input = try Support.template("TC_ProdPsi")
        input.applyOverrides(Support.overrides)
        input.assign?["ProcessingString"] = .object(["GenSimFull": .string("A"), "Nope": .string("B")])
        let error = #expect(throws: RequestRejected.self) { try Support.validator.validate(input) }
        #expect(error?.problems.map(\.field) == ["assignRequest.ProcessingString.Nope"])
    }

    @Test func validationSampleArgument() throws {
        var raw = Self.reReco
        raw["ValidationSample"] = .object(["Events": .int(500), "FailureThreshold": .double(0.2)])
        let args = try Support.validator.validateCreate(raw)
        #expect(args.validationSample == ValidationSampleRequest(events: 500, failureThreshold: 0.2))
        raw["ValidationSample"] = .object(["Events": .int(0), "FailureThreshold": .double(2)])
        #expect(Set(problems(raw).map(\.field)) == ["ValidationSample.Events", "ValidationSample.FailureThreshold"])
    }

    @Test func requestNames() throws {
        let date = Date(timeIntervalSince1970: 1_750_000_000.123456)   // 2025-06-15 15:06:40.1234 UTC
        let name = RequestNaming.make(requestor: "amaltaro", requestString: "TC_ProdPsi_test", at: date)
        #expect(name == "amaltaro_TC_ProdPsi_test_250615_150640_1234")
        #expect(RequestNaming.isValid(name))
        #expect(!RequestNaming.isValid("bad name with spaces"))
        #expect(!RequestNaming.isValid(String(repeating: "a", count: 151)))
        #expect(throws: RequestRejected.self) {
            try RequestNaming.checkedName(requestor: "op", requestString: "bad/slash", at: date)
        }
    }

    @Test func effectivePriority() {
        let groups = GroupPriorities(["DATAOPS": 10_000, "HIG": 200_000])
        #expect(groups.effective(requestPriority: 8000, group: "DATAOPS") == 18_000)
        #expect(groups.effective(requestPriority: 900_000, group: "HIG") == 999_999)
        #expect(groups.effective(requestPriority: 5, group: "unknown") == 5)
    }

    @Test func requestDocumentLifecycle() throws {
        let args = try Support.validator.validateCreate(Self.reReco)
        var request = RequestBody(name: "op_x_250615_150640_1234", arguments: args,
                                  groupPriorities: GroupPriorities(["DATAOPS": 1000]), at: 10)
        #expect(request.effectivePriority == 9000)
        #expect(request.state == .new)
        let assignment = try Support.validator.validateAssign(["Team": .string("t"), "SiteWhitelist": .string("T1_US_FNAL")], request: args)
        #expect(throws: StateError.self) { try request.assign(assignment, actor: "op", at: 11) }
        try request.transition(to: .assignmentApproved, actor: "op", reason: "ok", at: 12)
        try request.assign(assignment, actor: "op", at: 13)
        #expect(request.state == .assigned && request.team == "t")
        try request.editPriority(20_000, at: 14)
        #expect(request.priority == 20_000 && request.effectivePriority == 20_000)
        let data = try JSONEncoder().encode(RequestDocument(request, extra: ["comment": .string("kept")]))
        let back = try JSONDecoder().decode(RequestDocument.self, from: data)
        #expect(back.body == request && back.extra["comment"] == .string("kept"))
    }

    @Test func storeResultsFlatRequest() throws {
        let json = """
        {"RequestType": "StoreResults", "RequestString": "sr_test", "CMSSWVersion": "CMSSW_12_4_14_patch1",
         "ScramArch": ["el8_amd64_gcc10"], "InputDataset": "\(Support.muonEG)", "PhysicsGroup": "Muon",
         "AcquisitionEra": "Run2022C", "ProcessingString": "SR", "ProcessingVersion": "2"}
        """
        let input = try RequestInput.parse(Data(json.utf8))
        #expect(input.assign == nil)
        let (create, assign) = try Support.validator.validate(input)
        #expect(assign == nil && create.string("MergedLFNBase") == "/store/results")
        let workload = try WorkloadBuilder.build(name: "sr", request: create, configCache: Support.configCache)
        let task = try #require(workload.topLevelTasks.first)
        #expect(task.type == .merge && task.splitting.algorithm == "ParentlessMergeBySize")
        #expect(task.outputs.first?.dataset == "/MuonEG/Run2022C-SR-v2/USER")
        let elements = try WorkQueueSplitter.elements(workload: workload, context: ElementContext(requestName: "sr", priority: 1, creationTime: 0),
                                                      catalog: Support.catalog)
        #expect(elements.count == 4)   // one per block, no selection
    }

    @Test func resubmissionNeedsItsOrigin() {
        let raw: [String: JSONValue] = ["RequestType": .string("Resubmission"), "RequestString": .string("acdc")]
        #expect(Set(problems(raw).map(\.field)) == ["OriginalRequestName", "InitialTaskPath"])
        let good = raw.merging(["OriginalRequestName": .string("op_wf_250615_150640_1234"),
                                "InitialTaskPath": .string("/op_wf_250615_150640_1234/GenSimFull")]) { $1 }
        #expect(problems(good).isEmpty)
    }

    @Test func dqmHarvestNeedsItsConfiguration() {
        let raw: [String: JSONValue] = ["RequestType": .string("DQMHarvest"), "RequestString": .string("h"),
                                        "CMSSWVersion": .string("CMSSW_14_0_19_patch2"), "ScramArch": .string("el8_amd64_gcc12"),
                                        "GlobalTag": .string("GT"), "InputDataset": .string(Support.jetMET),
                                        "DQMUploadUrl": .string("https://cmsweb.cern.ch/dqm/dev"),
                                        "DQMConfigCacheID": .string("0000aaaa")]
        #expect(problems(raw).map(\.field) == ["DQMConfigCacheID"])
    }

    @Test func includeParentsNeedsAParentDataset() {
        var raw = Self.reReco
        raw["IncludeParents"] = .bool(true)
        #expect(problems(raw).map(\.field) == ["IncludeParents"])
    }

    @Test func malformedTemplatesAreRefusedAtParse() {
        #expect(throws: RequestRejected.self) { try RequestInput.parse(Data("[1, 2]".utf8)) }
        let error = #expect(throws: RequestRejected.self) {
            try RequestInput.parse(Data(#"{"createRequest": 3, "assignRequest": {}, "extra": 1}"#.utf8))
        }
        #expect(Set(error?.problems.map(\.field) ?? []) == ["createRequest", "extra"])
    }
}
