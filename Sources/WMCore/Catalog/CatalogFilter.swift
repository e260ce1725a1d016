import Foundation
import JobSplitting

/// A CMS lumi mask: run → inclusive lumi ranges, as in a request's `LumiList` `{"run": [[first, last], ...]}`.
public struct LumiList: Hashable, Sendable {
    /// Run → inclusive lumi ranges.
    public var ranges: [Int: [ClosedRange<Int>]]

    /// Makes a lumi list from ranges.
    public init(_ ranges: [Int: [ClosedRange<Int>]]) { self.ranges = ranges }

    /// Parses `{"run": [[first, last], ...]}`; returns the reasons it is not one when it fails.
    public static func parse(_ value: JSONValue) -> Result<LumiList, LumiListError> {
        guard let object = value.objectValue else { return .failure(.notAnObject(found: value.typeName)) }
        var ranges: [Int: [ClosedRange<Int>]] = [:]
        for (key, list) in object {
            guard let run = Int(key), run > 0 else { return .failure(.badRun(key)) }
            guard let pairs = list.arrayValue else { return .failure(.badRanges(run: key)) }
            for pair in pairs {
                guard let bounds = pair.arrayValue?.compactMap(\.intValue), bounds.count == 2,
                      bounds[0] >= 1, bounds[0] <= bounds[1] else { return .failure(.badRanges(run: key)) }
                ranges[run, default: []].append(bounds[0]...bounds[1])
            }
        }
        return .success(LumiList(ranges))
    }

    /// True when the list holds `lumi` of `run`.
    public func contains(run: Int, lumi: Int) -> Bool {
        ranges[run]?.contains { $0.contains(lumi) } ?? false
    }

    /// Number of lumis the list holds.
    public var lumiCount: Int { ranges.values.joined().reduce(0) { $0 + $1.count } }

    /// The JSON form `{"run": [[first, last], ...]}`.
    public var json: JSONValue {
        .object(Dictionary(uniqueKeysWithValues: ranges.map { run, list in
            (String(run), JSONValue.array(list.map { .array([.int($0.lowerBound), .int($0.upperBound)]) }))
        }))
    }
}

extension LumiList: Codable {
    /// Decodes `{"run": [[first, last], ...]}`.
    public init(from decoder: Decoder) throws {
        let value = try JSONValue(from: decoder)
        switch LumiList.parse(value) {
        case .success(let list): self = list
        case .failure(let error):
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    /// Encodes `{"run": [[first, last], ...]}`.
    public func encode(to encoder: Encoder) throws { try json.encode(to: encoder) }
}

/// Why a value is not a lumi list.
public enum LumiListError: Error, Equatable, CustomStringConvertible {
    /// The value is not a JSON object.
    case notAnObject(found: String)
    /// A key is not a positive run number.
    case badRun(String)
    /// A run's value is not a list of `[first, last]` pairs with 1 ≤ first ≤ last.
    case badRanges(run: String)

    public var description: String {
        switch self {
        case .notAnObject(let found): return "LumiList must be an object {\"run\": [[first, last], ...]}, found \(found)"
        case .badRun(let key): return "LumiList key '\(key)' is not a positive run number"
        case .badRanges(let run): return "LumiList run \(run) must hold [[first, last], ...] pairs with 1 ≤ first ≤ last"
        }
    }
}

/// Which part of an input dataset a request reads: block and run white/black lists and a lumi mask.
public struct InputSelection: Codable, Hashable, Sendable {
    /// Blocks to keep (all when empty).
    public var blockWhitelist: [String]
    /// Blocks to drop.
    public var blockBlacklist: [String]
    /// Runs to keep (all when empty).
    public var runWhitelist: [Int]
    /// Runs to drop.
    public var runBlacklist: [Int]
    /// Lumis to keep (all when nil).
    public var lumiList: LumiList?

    /// Makes a selection; everything is kept by default.
    public init(blockWhitelist: [String] = [], blockBlacklist: [String] = [], runWhitelist: [Int] = [],
                runBlacklist: [Int] = [], lumiList: LumiList? = nil) {
        self.blockWhitelist = blockWhitelist
        self.blockBlacklist = blockBlacklist
        self.runWhitelist = runWhitelist
        self.runBlacklist = runBlacklist
        self.lumiList = lumiList
    }

    /// True when only lumis, not whole files, are selected by run or lumi.
    public var filtersLumis: Bool { !runWhitelist.isEmpty || !runBlacklist.isEmpty || lumiList != nil }

    /// True when the block lists keep `block`.
    public func keeps(block: String) -> Bool {
        (blockWhitelist.isEmpty || blockWhitelist.contains(block)) && !blockBlacklist.contains(block)
    }

    /// True when the run lists and the lumi mask keep this lumi.
    public func keeps(_ lumi: LumiSection) -> Bool {
        if !runWhitelist.isEmpty && !runWhitelist.contains(lumi.run) { return false }
        if runBlacklist.contains(lumi.run) { return false }
        if let mask = lumiList, !mask.contains(run: lumi.run, lumi: lumi.lumi) { return false }
        return true
    }
}

/// What a selection keeps of one file: the file and the lumis of it that are kept.
public struct SelectedFile: Hashable, Sendable {
    /// The catalog file.
    public var file: CatalogFile
    /// The kept lumis (all of them when the selection filters no lumis).
    public var lumis: [LumiSection]

    /// Events in the kept lumis: the per-lumi counts when DBS has them, otherwise the file's events
    /// shared evenly over its lumis (WorkQueue's estimate).
    public var events: Int {
        if lumis.count == file.lumis.count { return file.events }
        if lumis.allSatisfy({ $0.events != nil }) { return lumis.reduce(0) { $0 + ($1.events ?? 0) } }
        guard !file.lumis.isEmpty else { return 0 }
        return Int((Double(file.events) * Double(lumis.count) / Double(file.lumis.count)).rounded())
    }
}

/// What a selection keeps of one block.
public struct SelectedBlock: Hashable, Sendable {
    /// The catalog block (all its files).
    public var block: CatalogBlock
    /// The kept valid files with their kept lumis.
    public var files: [SelectedFile]

    /// Number of kept files.
    public var fileCount: Int { files.count }
    /// Events in the kept lumis.
    public var eventCount: Int { SaturatingArithmetic.sum(files.lazy.map(\.events)) }
    /// Number of distinct kept (run, lumi) pairs.
    public var lumiCount: Int { Set(files.flatMap { $0.lumis.map { [$0.run, $0.lumi] } }).count }
    /// Distinct kept runs, ascending.
    public var runs: [Int] { Array(Set(files.flatMap { $0.lumis.map(\.run) })).sorted() }
}

extension CatalogDataset {
    /// The blocks and files the selection keeps, in catalog order.
    ///
    /// Invalid files are never kept. A file is kept when at least one of its lumis passes the run lists and
    /// the lumi mask (every valid file is kept when the selection filters no lumis). Blocks left with no
    /// file are dropped, as WorkQueue rejects blocks with 0 files.
    public func select(_ selection: InputSelection) -> [SelectedBlock] {
        blocks.compactMap { block -> SelectedBlock? in
            guard selection.keeps(block: block.name) else { return nil }
            let files = block.files.compactMap { file -> SelectedFile? in
                guard file.isValid else { return nil }
                guard selection.filtersLumis else { return SelectedFile(file: file, lumis: file.lumis) }
                let kept = file.lumis.filter(selection.keeps)
                return kept.isEmpty ? nil : SelectedFile(file: file, lumis: kept)
            }
            return files.isEmpty ? nil : SelectedBlock(block: block, files: files)
        }
    }
}
