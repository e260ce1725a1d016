import Foundation
import Testing
@testable import JobSplitting

/// The outcome says which of the splitter's input files each job reads (`SplitOutcome.inputPositions(in:)`), so no caller
/// needs a file's storage identity.
@Suite struct InputPositionTests {
    static let algorithms: [SplittingAlgorithm] = SplittingAlgorithm.allCases.filter { $0 != .harvest }

    @Test(arguments: algorithms)
    func positionsNameTheInputEachJobFileCameFrom(_ algorithm: SplittingAlgorithm) throws {
        var checkedFiles = 0
        for seed in UInt64(0)..<60 {
            var rng = SeededGenerator(seed: seed &* 104_729 &+ UInt64(Self.algorithms.firstIndex(of: algorithm)!))
            var files = AwkwardInput.files(&rng)
            if algorithm == .runBased { files.removeAll { $0.minRun == nil } }
            let values = AwkwardInput.parameters(algorithm, files, &rng)
            let context = SplitContext(filesetClosed: true, now: 200_000)
            guard let outcome = try? JobSplitter.split(algorithm, files: files, parameters: SplitParameters(values), context: context) else { continue }
            for (job, positions) in zip(outcome.jobs, outcome.inputPositions(in: files)) {
                #expect(positions.count == job.inputFiles.count)
                for (file, position) in zip(job.inputFiles, positions) {
                    let sameLFN = files.indices.filter { files[$0].lfn == file.lfn }
                    let sameStorage = files.indices.filter { files[$0].sharedStorageIdentity == file.sharedStorageIdentity }
                    guard let position else {
                        #expect(sameLFN.isEmpty, "\(algorithm) seed \(seed): \(file.lfn) is an input but has no position")
                        continue
                    }
                    #expect(files[position].lfn == file.lfn, "\(algorithm) seed \(seed): position \(position) is \(files[position].lfn), not \(file.lfn)")
                    if !sameStorage.isEmpty { #expect(sameStorage.contains(position), "\(algorithm) seed \(seed): \(file.lfn) is a copy of another input") }
                    checkedFiles += 1
                }
            }
        }
        #expect(checkedFiles > 0, "\(algorithm): no job read an input file")
    }

    @Test func theMonteCarloFakeFileHasNoPosition() throws {
        let outcome = try JobSplitter.split(.eventBased, files: [], parameters: SplitParameters(["events_per_job": .int(10), "total_events": .int(25)]),
                                            context: SplitContext(subscriptionType: .production, now: 0))
        #expect(outcome.inputPositions(in: []).allSatisfy { $0.allSatisfy { $0 == nil } })
    }

    @Test func oneFilePerJobGivesEachJobItsInput() throws {
        let a = SplitFile(lfn: "/store/a.root", events: 10, locations: ["T2_CH_CERN"], runs: [FileRun(run: 1, lumis: [1])])
        let b = SplitFile(lfn: "/store/b.root", events: 10, locations: ["T2_CH_CERN"], runs: [FileRun(run: 1, lumis: [2])])
        let outcome = try JobSplitter.split(.fileBased, files: [a, b], parameters: SplitParameters(["files_per_job": .int(1)]),
                                            context: SplitContext(now: 0))
        #expect(outcome.inputPositions(in: [a, b]) == [[0], [1]])
    }
}
