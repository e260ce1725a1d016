import Foundation
import Testing
@testable import WMCore

/// Arguments ReqMgr2 accepts whose behaviour this system does not implement (issue 19: honoured, or refused with a
/// reason): WMCore's default is accepted, any other value is refused naming the field and why.
@Suite struct UnsupportedArgumentTests {
    /// Every spec with an `UnsupportedArgument`, and the part of a request it belongs to.
    static func unsupportedSpecs() -> [(part: String, spec: ArgumentSpec)] {
        var found: [(String, ArgumentSpec)] = []
        var seen = Set<String>()
        func add(_ specs: [ArgumentSpec], _ part: String) {
            for spec in specs where spec.unsupported != nil && seen.insert(part + "." + spec.name).inserted { found.append((part, spec)) }
        }
        for type in RequestType.allCases { add(RequestSpecs.create(type), "request") }
        add(RequestSpecs.chainItem(.taskChain), "task")
        add(RequestSpecs.chainItem(.stepChain), "task")
        add(RequestSpecs.assign, "assignment")
        return found
    }

    /// A value of the spec's kind that passes its other checks and is not the accepted one.
    static func meaningfulValue(_ spec: ArgumentSpec) -> JSONValue {
        let accepted = spec.unsupported!.accepted
        for check in spec.checks {
            if case .oneOf(let options) = check, let other = options.first(where: { JSONValue.string($0) != accepted }) {
                return .string(other)
            }
        }
        switch spec.kind {
        case .boolean: return .bool(accepted != .bool(true))
        case .stringList: return .array([.string("T1_US_FNAL_MSS")])
        case .integer: return .int(367_786)
        default: return .string("https://example.org/elsewhere")
        }
    }

    @Test func theRefusedArgumentsAreTheOnesThisSystemDoesNotImplement() {
        let names = Set(Self.unsupportedSpecs().map(\.spec.name))
        #expect(names == ["ACDCDatabase", "ACDCServer", "AllowOpportunistic", "ConfigCacheUrl", "CouchDBName", "CustodialSites",
                          "DQMSequences", "DQMUploadProxy", "DeterministicPileup", "IgnoredOutputModules", "NonCustodialSites",
                          "RunNumber", "Seeding", "SubscriptionPriority"])
    }

    @Test func theDefaultIsAcceptedAndAnyOtherValueRefusedNamingTheFieldAndTheReason() throws {
        for (part, spec) in Self.unsupportedSpecs() {
            let unsupported = try #require(spec.unsupported)
            if let defaultValue = spec.defaultValue {
                #expect(defaultValue == unsupported.accepted, "\(part) \(spec.name): its default is the value accepted")
            }
            guard case .success = spec.validate(unsupported.accepted, field: spec.name) else {
                Issue.record("\(part) \(spec.name): \(RequestProblem.render(unsupported.accepted)) is refused"); continue
            }
            let value = Self.meaningfulValue(spec)
            guard case .failure(let rejected) = spec.validate(value, field: spec.name) else {
                Issue.record("\(part) \(spec.name): \(RequestProblem.render(value)) is accepted"); continue
            }
            #expect(rejected.problems == [RequestProblem(field: spec.name, found: value,
                                                         expected: "\(RequestProblem.render(unsupported.accepted)): \(unsupported.reason)")],
                    "\(part) \(spec.name)")
            #expect(!unsupported.reason.isEmpty)
        }
    }

    @Test func aTemplatesCustodialSitesAreRefusedAtAssignmentWithTheReason() throws {
        var input = try Support.template("TC_ProdPsi")
        input.applyOverrides(Support.overrides.filter { !["CustodialSites", "NonCustodialSites"].contains($0.key) })
        #expect(throws: RequestRejected.self) { try Support.validator.validate(input) }
        do { _ = try Support.validator.validate(input) } catch {
            let custodial = try #require(error.problems.first { $0.field == "assignRequest.CustodialSites" })
            #expect(custodial.value == #"["T1_US_FNAL_MSS"]"#)
            #expect(custodial.expected == "[]: no custodial (tape) copies are made: the Rucio injector here makes no custodial rules")
            #expect(error.fields == ["assignRequest.CustodialSites", "assignRequest.NonCustodialSites"])
        }
    }

    @Test func aChainItemsSeedingIsRefusedNamingTheItem() throws {
        var input = try Support.template("TC_6Tasks_PU")
        input.applyOverrides(Support.overrides.merging(["Task2.Seeding": .string("ReproducibleSeeding")]) { $1 })
        do {
            _ = try Support.validator.validate(input)
            Issue.record("ReproducibleSeeding was accepted")
        } catch {
            #expect(error.problems.map(\.field) == ["createRequest.Task2.Seeding"])
            #expect(error.problems.first?.expected.hasPrefix(#""AutomaticSeeding": jobs here get no reproducible random seeds"#) == true)
        }
    }
}
