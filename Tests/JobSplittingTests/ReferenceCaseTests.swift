import Foundation
import Testing
import TestSupport
@testable import JobSplitting

/// A reference case read from this target's bundled fixtures.
func bundledCase(_ name: String) throws -> ReferenceCase {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"))
    return try ReferenceCase(name: name, url: url)
}

/// The WMCore reference outputs, reproduced job by job.
@Suite struct ReferenceCaseTests {
    static let caseNames = ReferenceCase.caseNames

    @Test func everyFixtureIsListed() throws {
        let readme = try #require(Bundle.module.url(forResource: "README", withExtension: "md", subdirectory: "Fixtures"))
        let contents = try FileManager.default.contentsOfDirectory(atPath: readme.deletingLastPathComponent().path)
        let names = Set(contents.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) })
        #expect(names == Set(Self.caseNames))
    }

    @Test(arguments: caseNames)
    func reproducesWMCore(_ name: String) throws {
        let reference = try bundledCase(name)
        let algorithm = try #require(SplittingAlgorithm(rawValue: reference.raw.algorithm))
        let type = try #require(SubscriptionType(rawValue: reference.raw.subscription_type))
        let outcome = try JobSplitter.split(algorithm, files: reference.filesInWMCoreOrder, parameters: reference.parameters,
                                            context: SplitContext(subscriptionType: type, now: 0))
        #expect(outcome.failedFiles.isEmpty)
        let problems = reference.mismatches(outcome.groups.map { $0.jobs.map(ComparableJob.init) })
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test func comparisonCatchesADifferentJob() throws {
        // The shared comparison must fail on a changed mask, in ordered and in multiset cases.
        for name in ["lumibased_10files_3lumis_lpj2", "eventbased_data_3files_epj150"] {
            let reference = try bundledCase(name)
            var groups = reference.expectedGroups
            #expect(reference.mismatches(groups).isEmpty)
            let job = groups[0][0]
            var mask = job.mask
            mask.lastEvent = (mask.lastEvent ?? 0) + 1
            groups[0][0] = ComparableJob(files: job.files, mask: mask, time: job.time, disk: job.disk, memory: job.memory, baggage: job.baggage)
            #expect(!reference.mismatches(groups).isEmpty, "\(name)")
            #expect(!reference.mismatches(groups, flat: true, ignoringEstimates: true).isEmpty, "\(name)")
        }
    }

    @Test(arguments: caseNames)
    func referenceJSONMatchesFixture(_ name: String) throws {
        let reference = try bundledCase(name)
        let algorithm = try #require(SplittingAlgorithm(rawValue: reference.raw.algorithm))
        let type = try #require(SubscriptionType(rawValue: reference.raw.subscription_type))
        let outcome = try JobSplitter.split(algorithm, files: reference.filesInWMCoreOrder, parameters: reference.parameters,
                                            context: SplitContext(subscriptionType: type, now: 0))
        let data = try referenceJSON(outcome)
        struct Doc: Decodable { struct Job: Decodable { let input_files: [String]; let mask: JobMask }; let jobs: [Job] }
        let doc = try JSONDecoder().decode(Doc.self, from: data)
        let jobs = doc.jobs.map { ComparableJob(files: $0.input_files, mask: $0.mask) }
        let problems = reference.mismatches([jobs], flat: true, ignoringEstimates: true)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        // Stable key order: the text starts with the sorted top-level key and masks list FirstEvent first.
        let text = try #require(String(data: data, encoding: .utf8))
        #expect(text.hasPrefix("{\"jobs\":[{\"input_files\":"))
        #expect(text.contains("\"mask\":{\"FirstEvent\":"))
    }
}
