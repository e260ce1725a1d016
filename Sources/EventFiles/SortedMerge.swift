/// Merges event readers into one (run, lumi, event) ordered stream, counting what each input gave.
struct SortedMerge {
    private let readers: [EventFileReader]
    /// Per input, what was taken from it.
    private(set) var tallies: [RunLumiTally]

    init(readers: [EventFileReader]) {
        self.readers = readers
        tallies = Array(repeating: RunLumiTally(), count: readers.count)
    }

    /// Hands every event of every input to `body` in (run, lumi, event) order; ties keep input order.
    mutating func run(_ body: (EventRecord) throws -> Void) throws {
        if readers.allSatisfy({ $0.header.flags.contains(.sorted) }) {
            try streamSorted(body)
        } else {
            try sortInMemory(body)
        }
    }

    /// k-way merge of sorted inputs: `heads` holds each input's next record, kept sorted.
    private mutating func streamSorted(_ body: (EventRecord) throws -> Void) throws {
        var heads: [(record: EventRecord, input: Int)] = []
        func insert(_ head: (record: EventRecord, input: Int), into heads: inout [(record: EventRecord, input: Int)]) {
            let position = heads.partitioningIndex { ($0.record, $0.input) > (head.record, head.input) }
            heads.insert(head, at: position)
        }
        for (index, reader) in readers.enumerated() {
            if let record = try reader.next() { insert((record, index), into: &heads) }
        }
        while !heads.isEmpty {
            let head = heads.removeFirst()
            tallies[head.input].add(head.record)
            try body(head.record)
            if let record = try readers[head.input].next() { insert((record, head.input), into: &heads) }
        }
    }

    /// Fallback for unsorted inputs: collects every record (no payloads), sorts, then emits.
    private mutating func sortInMemory(_ body: (EventRecord) throws -> Void) throws {
        var all: [(record: EventRecord, input: Int)] = []
        for (index, reader) in readers.enumerated() {
            while let record = try reader.next() { all.append((record, index)) }
        }
        all.sort { ($0.record, $0.input) < ($1.record, $1.input) }
        for item in all {
            tallies[item.input].add(item.record)
            try body(item.record)
        }
    }
}

extension Array {
    /// The first index whose element satisfies `belongsInSecondPartition`, assuming the array is
    /// partitioned by it (binary search).
    func partitioningIndex(where belongsInSecondPartition: (Element) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if belongsInSecondPartition(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
