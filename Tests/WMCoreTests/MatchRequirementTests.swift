import Foundation
import Testing
@testable import WMCore

/// Issue 19 item 3: `JobExtraMatchRequirements` is evaluated per site as HTCondor would, in the part of the ClassAd
/// language such requirements use; anything else is refused at validation with the reason.
@Suite struct MatchRequirementTests {
    private func job(task: String = "/wf/GenSimFull", site: String = "T2_CH_CERN", gpus: Int = 0, cores: Int = 1) -> [String: MatchRequirement.Value] {
        MatchRequirement.attributes(task: task, workflow: "wf", taskType: "Production", cores: cores, memoryMB: 2000,
                                    requiresGPU: false, site: site, gpus: gpus)
    }

    @Test func wmcoreTemplateExpressionsMatchTheirOwnTasks() throws {
        let requirement = try MatchRequirement(#"regexp("GenSimFull", WMAgent_SubTaskName)"#)
        #expect(requirement.matches(job(task: "/wf/GenSimFull")))
        #expect(requirement.matches(job(task: "/wf/GenSimFull/GenSimFullMergeFEVTDEBUGoutput")))
        #expect(!requirement.matches(job(task: "/wf/Digi")))
    }

    @Test func operatorsSitesAndThreeValuedLogic() throws {
        let cases: [(String, [String: MatchRequirement.Value], Bool)] = [
            (#"TARGET.GLIDEIN_CMSSite == "t2_ch_cern""#, job(), true),   // == on strings ignores case, as in ClassAds
            (#"GLIDEIN_CMSSite =?= "t2_ch_cern""#, job(), false),        // =?= does not
            ("TARGET.GPUs >= 1 && MY.RequestCpus <= 4", job(gpus: 2, cores: 4), true),
            ("GPUs >= 1 && RequestCpus <= 4", job(gpus: 0, cores: 4), false),
            (#"!(GLIDEIN_CMSSite == "T1_US_FNAL") || false"#, job(), true),
            (#"stringListMember(GLIDEIN_CMSSite, "T1_US_FNAL, T2_CH_CERN")"#, job(), true),
            (#"regexp("^t2_", GLIDEIN_CMSSite, "i")"#, job(), true),
            ("RequestMemory > 1000.5", job(), true),
            ("undefined || true", job(), true),
            ("false && undefined", job(), false),
            ("undefined", job(), false),                                 // undefined never matches
        ]
        for (text, attributes, expected) in cases {
            #expect(try MatchRequirement(text).matches(attributes) == expected, "\(text)")
        }
    }

    @Test func expressionsOutsideTheSupportedLanguageAreRefusedSayingWhy() {
        let cases = [("Memory > 100", "attribute 'Memory' is not known here"),
                     (#"ifThenElse(true, 1, 2)"#, "function 'ifThenElse' is not supported"),
                     (#"regexp("(", WMAgent_SubTaskName)"#, "not a valid regular expression"),
                     (#"GLIDEIN_CMSSite == "T2"#, "a string that is not closed"),
                     ("RequestCpus >", "ends where a value was expected"),
                     ("RequestCpus + 1", "'+' is not part of the supported ClassAd expressions"),
                     (String(repeating: "(", count: 100) + "true" + String(repeating: ")", count: 100), "nested deeper than 64")]
        for (text, reason) in cases {
            do {
                _ = try MatchRequirement(text)
                Issue.record("\(text) was accepted")
            } catch {
                #expect(error.description.contains(reason), "\(text): \(error)")
            }
        }
    }

    @Test func theValidatorRefusesAnUnsupportedRequirementNamingTheField() throws {
        var input = try Support.template("TC_GPU")
        input.applyOverrides(Support.overrides)
        #expect(throws: Never.self) { try Support.validator.validate(input) }
        var task1 = try #require(input.create["Task1"]?.objectValue)
        task1["JobExtraMatchRequirements"] = .string("Memory > 100")
        input.create["Task1"] = .object(task1)
        let error = #expect(throws: RequestRejected.self) { try Support.validator.validate(input) }
        let problem = try #require(error?.problems.first { $0.field == "createRequest.Task1.JobExtraMatchRequirements" })
        #expect(problem.expected.contains("attribute 'Memory' is not known here"), "\(problem)")
    }
}

/// Issue 19: `DQMUploadUrl` names where harvest jobs upload; its host and path are confined or the request is refused.
@Suite struct DQMUploadTargetTests {
    @Test func urlsBecomeConfinedFolders() throws {
        let targets = try DQMUploadTarget.targets("https://cmsweb.cern.ch/dqm/dev;https://cmsweb-testbed.cern.ch:8443/dqm/offline/")
        #expect(targets.map(\.folder) == ["cmsweb.cern.ch/dqm/dev", "cmsweb-testbed.cern.ch_8443/dqm/offline"])
    }

    @Test func unconfinableURLsAreRefusedSayingWhy() throws {
        for (url, reason) in [("https://cmsweb.cern.ch/dqm/../../etc", "path component '..'"), ("ftp://x/y", "not an http(s) URL"),
                              ("https://../dqm", "the host must be"), ("https://h/dqm?upload=1", "path component 'dqm?upload=1'"),
                              ("https://h:port/dqm", "the port must be a number")] {
            #expect(throws: DQMUploadTargetError.self, "\(url)") { try DQMUploadTarget.targets(url) }
            do { _ = try DQMUploadTarget.targets(url) } catch { #expect(error.problem.contains(reason), "\(url): \(error)") }
        }
        var input = try Support.template("TC_ProdPsi")
        input.applyOverrides(Support.overrides)
        input.create["DQMUploadUrl"] = .string("https://cmsweb.cern.ch/dqm/../../etc")
        let error = #expect(throws: RequestRejected.self) { try Support.validator.validate(input) }
        #expect(error?.problems.map(\.field).contains("createRequest.DQMUploadUrl") == true, "\(String(describing: error))")
    }
}
