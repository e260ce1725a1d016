import Testing
@testable import JobSplitting

/// `RunLumiIndex` and `LumiTable` against plain dictionary models.
@Suite struct LumiTableTests {
    @Test func indexNumbersPairsInFirstSeenOrderThroughManyGrowths() {
        var rng = SeededGenerator(seed: 42)
        var index = RunLumiIndex(expected: 1)
        var model: [RunLumi: Int] = [:]
        for _ in 0..<20_000 {
            // Dense stretches, far-apart values, negatives and repeats.
            let run = [1, 2, 999_999, -3][Int.random(in: 0..<4, using: &rng)]
            let lumi = Bool.random(using: &rng) ? Int.random(in: 0..<3_000, using: &rng) : Int.random(in: Int.min...Int.max, using: &rng)
            let key = RunLumi(run: run, lumi: lumi)
            let expected = model[key] ?? model.count
            let (id, isNew) = index.number(key)
            #expect(id == expected && isNew == (model[key] == nil))
            model[key] = expected
        }
        #expect(index.count == model.count)
        #expect(model.allSatisfy { index.keys[$0.value] == $0.key })
    }

    @Test func tableListsEachFilesSortedDistinctLumisAndEachLumisFiles() {
        for seed in 0..<UInt64(200) {
            var rng = SeededGenerator(seed: seed)
            let files = AwkwardInput.files(&rng)
            let oddRunsOnly: (Int, Int) -> Bool = { run, _ in run % 2 == 1 }
            let filter = Bool.random(using: &rng) ? oddRunsOnly : nil
            let table = LumiTable(files, isWanted: filter)
            var filesOf: [RunLumi: [Int]] = [:]
            var eventsOf: [RunLumi: Int] = [:]
            for (position, f) in files.enumerated() {
                var wanted = Set<RunLumi>()
                for run in f.runs { for lumi in run.lumis where filter?(run.run, lumi) ?? true {
                    let key = RunLumi(run: run.run, lumi: lumi)
                    wanted.insert(key)
                    filesOf[key, default: []].append(position)
                    eventsOf[key] = averageEventsPerLumi(f)
                } }
                let listed = table.fileLumis[table.fileLumiRange[position]].map { table.index.keys[Int($0)] }
                #expect(listed == wanted.sorted { $0.precedes($1) }, "seed \(seed) file \(position)")
            }
            #expect(table.index.count == filesOf.count)
            for (key, expected) in filesOf {
                var index = table.index  // a copy: numbering a known pair only looks it up
                let (id, isNew) = index.number(key)
                #expect(!isNew)
                var holding: [Int] = []
                table.forEachFile(holding: id) { holding.append($0) }
                #expect(holding == expected && table.firstFile(holding: id) == expected[0], "seed \(seed)")
                #expect(table.lumis[id].events == eventsOf[key], "seed \(seed)")
            }
        }
    }
}
