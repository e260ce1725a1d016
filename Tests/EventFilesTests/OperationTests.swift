import Foundation
import Testing
@testable import EventFiles

@Suite struct OperationTests {
    @Test func generateSpreadsEventsOverLumisAsTheJobMaskImplies() throws {
        let dir = try TemporaryDirectory()
        let request = GenerateRequest(run: 1, firstEvent: 201, lastEvent: 450, firstLumi: 3, lastLumi: 5, eventsPerLumi: 100,
                                      seed: 11, payloadSize: 32,
                                      outputs: [OutputModule(label: "RAWSIMoutput", path: dir.file("raw.wmev")),
                                                OutputModule(label: "FilteredOutput", path: dir.file("filtered.wmev"), triggerMask: 0b101)])
        let result = try EventOperations.generate(request)
        let all = try readEvents(dir.file("raw.wmev"))
        #expect(all.map(\.event) == Array(201...450))
        #expect(all.first?.lumi == 3 && all[99].lumi == 3 && all[100].lumi == 4 && all.last?.lumi == 5)
        #expect(result.outputs[0].runs == [1: [3: 100, 4: 100, 5: 50]])
        #expect(result.outputs[0].events == 250)
        #expect(result.inputs.isEmpty)

        let filtered = try readEvents(dir.file("filtered.wmev"))
        #expect(filtered == all.filter { $0.triggerBits & 0b101 != 0 })
        #expect(!filtered.isEmpty && filtered.count < all.count)
        #expect(result.outputs[1].events == UInt64(filtered.count))

        // Same seed, same bits; another seed, other bits.
        #expect(all.allSatisfy { $0.triggerBits == GenerateRequest.triggerBits(seed: 11, event: $0.event) })
        #expect(all.contains { $0.triggerBits != GenerateRequest.triggerBits(seed: 12, event: $0.event) })
    }

    @Test func generateRejectsEventsThatSpillPastLastLumi() throws {
        let dir = try TemporaryDirectory()
        let request = GenerateRequest(firstEvent: 1, lastEvent: 301, firstLumi: 1, lastLumi: 3, eventsPerLumi: 100,
                                      outputs: [OutputModule(label: "out", path: dir.file("x.wmev"))])
        let error = eventFileError { _ = try EventOperations.generate(request) }
        guard case .invalidRequest(field: "lastLumi", _) = error else {
            Issue.record("expected invalid lastLumi, got \(String(describing: error))")
            return
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("x.wmev")))
    }

    /// The pipeline's invariant: MC generated in several jobs, processed with lumi masks (LumiBased-like
    /// split into jobs), merged in any order → each event exactly once, ordered.
    @Test func generateProcessMergeKeepsEachEventExactlyOnce() throws {
        let dir = try TemporaryDirectory()
        var generated: [String] = []
        for job in 0..<3 {
            let first = UInt64(job * 400 + 1)
            let path = dir.file("gen-\(job).wmev")
            _ = try EventOperations.generate(GenerateRequest(firstEvent: first, lastEvent: first + 399, firstLumi: UInt32(job * 4 + 1),
                                                             eventsPerLumi: 100, seed: 5, payloadSize: 100,
                                                             outputs: [OutputModule(label: "RAWSIMoutput", path: path)]))
            generated.append(path)
        }
        // Lumis 1...12 hold events 1...1200. Process with masks covering lumis [1-5], [6-6, 7-9], [10-12].
        let masks: [[ClosedRange<Int>]] = [[1...5], [6...6, 7...9], [10...12]]
        var processed: [String] = []
        for (index, ranges) in masks.enumerated() {
            let path = dir.file("proc-\(index).wmev")
            let result = try EventOperations.process(inputs: generated, mask: EventMask(runAndLumis: [1: ranges]),
                                                     outputs: [OutputModule(label: "RECOoutput", path: path)])
            let expectedLumis = ranges.flatMap { $0 }.map(UInt32.init)
            #expect(result.outputs[0].runs[1].map { $0.keys.sorted() } == expectedLumis)
            #expect(result.inputs.map(\.path) == generated)
            #expect(result.inputs.reduce(0) { $0 + $1.eventsRead } == UInt64(expectedLumis.count * 100))
            processed.append(path)
        }
        let mergedPath = dir.file("merged.wmev")
        let merge = try EventOperations.merge(inputs: processed.reversed(), output: OutputModule(label: "Merged", path: mergedPath))
        let merged = try readEvents(mergedPath)
        #expect(merged.map(\.event) == Array(1...1200))
        #expect(merge.outputs[0].events == 1200)
        #expect(merge.outputs[0].runs[1]?.count == 12)
        #expect(merge.outputs[0].runs[1]?.values.allSatisfy { $0 == 100 } == true)
        #expect(try EventFileReader(path: mergedPath).header.flags.contains(.sorted))
    }

    @Test func processReadsEventBoundsAsInputPositions() throws {
        let dir = try TemporaryDirectory()
        let a = try writeEvents(sampleRecords(1...50), to: dir.file("a.wmev"))
        let b = try writeEvents(sampleRecords(51...100), to: dir.file("b.wmev"))
        let c = dir.file("never-opened.wmev")   // missing, but never reached
        // skipEvents = 40, maxEvents = 20: positions 40...59 → events 41...60, across the first two files.
        let result = try EventOperations.process(inputs: [a, b, c], mask: EventMask(firstEvent: 40, lastEvent: 59),
                                                 outputs: [OutputModule(label: "out", path: dir.file("out.wmev"))])
        #expect(try readEvents(dir.file("out.wmev")).map(\.event) == Array(41...60))
        #expect(result.inputs.map(\.path) == [a, b])
        #expect(result.inputs.map(\.eventsRead) == [10, 10])
        #expect(result.inputs[0].runs == [1: [5]])
        #expect(result.inputs[1].runs == [1: [6]])
    }

    @Test func processCanReadEventBoundsAsEventNumbersWithRunAndLumiBounds() throws {
        let dir = try TemporaryDirectory()
        let run1 = try writeEvents(sampleRecords(1...100, run: 1), to: dir.file("r1.wmev"))
        let run2 = try writeEvents(sampleRecords(1...100, run: 2), to: dir.file("r2.wmev"))
        let mask = EventMask(firstEvent: 15, lastEvent: 64, firstLumi: 2, lastLumi: 6, firstRun: 2, eventRangeSemantics: .eventNumbers)
        let result = try EventOperations.process(inputs: [run1, run2], mask: mask,
                                                 outputs: [OutputModule(label: "out", path: dir.file("out.wmev"))])
        let kept = try readEvents(dir.file("out.wmev"))
        #expect(kept == sampleRecords(1...100, run: 2).filter { (15...64).contains($0.event) && (2...6).contains($0.lumi) })
        #expect(result.inputs.map(\.eventsRead) == [0, 46])   // lumi 2: events 15...20, lumis 3...6: 21...60
    }

    @Test func repackSendsEachEventToExactlyThePrimaryDatasetsWhoseBitsMatch() throws {
        let dir = try TemporaryDirectory()
        var streamers: [String] = []
        for file in 0..<3 {
            let first = UInt64(file * 300 + 1)
            streamers.append(try writeEvents(sampleRecords(first...(first + 299), perLumi: 300), to: dir.file("streamer-\(file).wmev")))
        }
        let minimumBiasPaths: UInt64 = 0b1000_0001   // paths 0 and 7
        let datasets = [OutputModule(label: "write_MinimumBias_RAW", path: dir.file("MinimumBias.wmev"), triggerMask: minimumBiasPaths),
                        OutputModule(label: "write_ZeroBias_RAW", path: dir.file("ZeroBias.wmev"), triggerMask: 1 << 3),
                        OutputModule(label: "write_HLTPhysics_RAW", path: dir.file("HLTPhysics.wmev"), triggerMask: 0)]
        let result = try EventOperations.repack(inputs: streamers, datasets: datasets)
        let input: [EventRecord] = try streamers.flatMap { try readEvents($0) }
        for (index, dataset) in datasets.enumerated() {
            let written = try readEvents(dataset.path)
            let expected = input.filter { dataset.triggerMask == 0 || $0.triggerBits & dataset.triggerMask != 0 }
            #expect(written == expected, "\(dataset.label)")
            #expect(result.outputs[index].events == UInt64(expected.count))
        }
        #expect(result.outputs[2].events == 900)   // "All": no selection
        // Some events land in both selective PDs, some in neither.
        let both = input.filter { $0.triggerBits & 0b1000_0001 != 0 && $0.triggerBits & 0b1000 != 0 }
        let neither = input.filter { $0.triggerBits & 0b1000_1001 == 0 }
        #expect(!both.isEmpty && !neither.isEmpty)
        #expect(result.inputs.map { $0.eventsRead } == [300, 300, 300])
    }

    /// A primary dataset none of whose paths fired in a job still gets a file with every lumi the job read (0 events),
    /// as CMSSW writes each lumi to every output module: a file without run/lumi would fail the job with 70452 and
    /// lose the events of every other dataset (found running an Express replay).
    @Test func repackListsEveryLumiReadOnEachOutputEvenWithNoEventSelected() throws {
        let dir = try TemporaryDirectory()
        let records = sampleRecords(1...40, perLumi: 10).map { EventRecord(run: $0.run, lumi: $0.lumi, event: $0.event, triggerBits: 0b01) }
        let streamer = try writeEvents(records, to: dir.file("s.wmev"))
        let nobody: UInt64 = 0b10   // a path no event fired
        let datasets = [OutputModule(label: "write_All_RAW", path: dir.file("all.wmev"), triggerMask: 0),
                        OutputModule(label: "write_Nobody_RAW", path: dir.file("none.wmev"), triggerMask: nobody)]
        let result = try EventOperations.repack(inputs: [streamer], datasets: datasets)
        #expect(result.outputs[1].events == 0)
        #expect(result.outputs[1].runs == [1: [1: 0, 2: 0, 3: 0, 4: 0]])
        #expect(result.outputs[0].runs[1]?.keys.sorted() == [1, 2, 3, 4] && result.outputs[0].events == 40)
    }

    @Test func mergeOfUnsortedInputsSortsAndKeepsDuplicates() throws {
        let dir = try TemporaryDirectory()
        let a = try writeEvents(sampleRecords(1...30).reversed(), to: dir.file("a.wmev"))
        let b = try writeEvents(sampleRecords(20...40), to: dir.file("b.wmev"))
        let result = try EventOperations.merge(inputs: [a, b], output: OutputModule(label: "Merged", path: dir.file("m.wmev")))
        let merged = try readEvents(dir.file("m.wmev"))
        #expect(merged.map(\.event) == Array(1...19) + (20...30).flatMap { [$0, $0] } + Array(31...40))
        #expect(result.inputs.map(\.eventsRead) == [30, 21])
    }

    @Test func aCorruptInputFailsTheJobNamingTheFileAndLeavesNoOutput() throws {
        let dir = try TemporaryDirectory()
        let good = try writeEvents(sampleRecords(1...100), to: dir.file("good.wmev"))
        let bad = try writeEvents(sampleRecords(101...200), to: dir.file("bad.wmev"))
        try flipByte(in: bad, at: 24 + 88 * 50 + 40)
        let outputs = [OutputModule(label: "A", path: dir.file("a.wmev")), OutputModule(label: "B", path: dir.file("b.wmev"))]
        let error = eventFileError { _ = try EventOperations.process(inputs: [good, bad], mask: EventMask(), outputs: outputs) }
        #expect(error?.path == bad)
        #expect(error?.cmsswInputExitCode == 8021)
        #expect(outputs.allSatisfy { !FileManager.default.fileExists(atPath: $0.path) })

        let missing = dir.file("missing.wmev")
        let mergeError = eventFileError { _ = try EventOperations.merge(inputs: [good, missing], output: outputs[0]) }
        #expect(mergeError == .openFailed(path: missing, errno: ENOENT))
        #expect(mergeError?.cmsswInputExitCode == 8020)
        #expect(!FileManager.default.fileExists(atPath: outputs[0].path))
    }

    @Test func invalidRequestsNameTheField() throws {
        let dir = try TemporaryDirectory()
        let input = try writeEvents(sampleRecords(1...10), to: dir.file("in.wmev"))
        let duplicate = [OutputModule(label: "A", path: dir.file("a")), OutputModule(label: "A", path: dir.file("b"))]
        #expect(eventFileError { _ = try EventOperations.repack(inputs: [input], datasets: duplicate) }
                == .invalidRequest(field: "outputs.label", expected: "unique values, 'A' appears twice"))
        #expect(eventFileError { _ = try EventOperations.process(inputs: [input], mask: EventMask(firstLumi: 5, lastLumi: 2), outputs: duplicate) }
                == .invalidRequest(field: "mask.firstLumi/lastLumi", expected: "first ≤ last, got 5 > 2"))
        #expect(eventFileError { _ = try EventOperations.merge(inputs: [], output: duplicate[0]) }?.description
                == "invalid request: inputs: expected at least one input file")
        #expect(!FileManager.default.fileExists(atPath: dir.file("a")))
    }

    @Test func eventListingPrintsRunLumiEventLines() throws {
        let dir = try TemporaryDirectory()
        let path = try writeEvents(sampleRecords(7...9, run: 42), to: dir.file("list.wmev"))
        var text = ""
        let count = try EventListing.printEvents(in: path, to: &text)
        #expect(count == 3)
        #expect(text == "42 1 7\n42 1 8\n42 1 9\n")
    }
}

/// Issue 19 item 2: the stand-in runs its job's cores as threads, and the output does not depend on how many.
@Suite struct ThreadedWriterTests {
    @Test func filesWrittenWithManyThreadsAreByteIdenticalToOneThread() throws {
        let dir = try TemporaryDirectory()
        var checksums: [FileChecksums] = []
        // 30,000 events of 100 bytes span several 1 MiB buffers, so several parallel flushes and a partial last one.
        for threads in [1, 2, 4, 7] {
            let request = GenerateRequest(run: 1, firstEvent: 1, lastEvent: 30_000, firstLumi: 1, lastLumi: 300, eventsPerLumi: 100,
                                          seed: 5, payloadSize: 100,
                                          outputs: [OutputModule(label: "out", path: dir.file("gen-\(threads).wmev"))])
            let result = try EventOperations.generate(request, threads: threads)
            checksums.append(result.outputs[0].checksums)
            let processed = try EventOperations.process(inputs: [dir.file("gen-\(threads).wmev")], mask: EventMask(),
                                                        outputs: [OutputModule(label: "reco", path: dir.file("reco-\(threads).wmev"))],
                                                        threads: threads)
            #expect(processed.outputs[0].checksums == checksums[0], "processing rewrites the same bytes with \(threads) threads")
        }
        #expect(Set(checksums.map(\.adler32)).count == 1 && Set(checksums.map(\.size)).count == 1, "\(checksums)")
        #expect(try readEvents(dir.file("gen-7.wmev")).map(\.event) == Array(1...30_000))
    }
}
