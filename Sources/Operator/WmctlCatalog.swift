import BatchSystems
import Commands
import EventFiles
import Foundation
import SpoolKit
import SpoolLayout
import WMCore

/// `wmctl catalog datasets|blocks|files|lumis|events|import`: reads (and loads) the catalog on disk.
enum CatalogVerbs {
    /// The catalog verbs.
    static let commands: [WmctlCommand] = [
        WmctlCommand("catalog datasets", "", "every dataset with its blocks, valid files and events (invalidated files counted apart)",
                     options: [WmctlCommand.json]) { inv in
            try datasets(CatalogStore(spool: try inv.spool()), json: inv.json, output: inv.output); return 0
        },
        WmctlCommand("catalog blocks", "[DATASET]", "blocks (of one dataset)", options: [WmctlCommand.json], positional: 0...1) { inv in
            try blocks(CatalogStore(spool: try inv.spool()), dataset: inv.arguments.first, json: inv.json, output: inv.output); return 0
        },
        WmctlCommand("catalog files", "DATASET|BLOCK", "files of a dataset or block", options: [WmctlCommand.json], positional: 1...1) { inv in
            try files(CatalogStore(spool: try inv.spool()), name: inv.arguments[0], json: inv.json, output: inv.output); return 0
        },
        WmctlCommand("catalog lumis", "DATASET", "run → lumis of a dataset's valid files", options: [WmctlCommand.json], positional: 1...1) { inv in
            try lumis(CatalogStore(spool: try inv.spool()), dataset: inv.arguments[0], json: inv.json, output: inv.output); return 0
        },
        WmctlCommand("catalog events", "DATASET", "every event of the dataset's valid files, read from storage", positional: 1...1) { inv in
            let spool = try inv.spool()
            try events(CatalogStore(spool: spool), dataset: inv.arguments[0], spool: spool, output: inv.output); return 0
        },
        WmctlCommand("catalog import", "FILE", "load an insertBulkBlock JSON file (one block or a list)", positional: 1...1, dryRun: .refused) { inv in
            try importBlocks(CatalogStore(spool: try inv.spool()), file: inv.arguments[0], output: inv.output); return 0
        },
    ]

    static func dataset(_ catalog: CatalogStore, _ name: String) throws -> CatalogDataset {
        guard let dataset = catalog.dataset(named: name) else { throw CommandFailure(.noInput, CatalogError.unknownDataset(name).description) }
        return dataset
    }

    static func datasets(_ catalog: CatalogStore, json: Bool, output: Wmctl.Output) throws {
        var rows: [JSONValue] = []
        for record in try catalog.datasetRecords() {
            let bulks = try catalog.bulkBlocks(of: record.dataset)
            let all = bulks.flatMap(\.files)
            // DBS lists valid files only (`validFileOnly`); an invalidated file is counted apart.
            let files = all.filter(\.isValid)
            let row: [String: JSONValue] = [
                "dataset": .string(record.dataset), "blocks": .int(bulks.count), "files": .int(files.count),
                "events": .int(files.reduce(0) { $0 + $1.eventCount }), "size": .int(files.reduce(0) { $0 + $1.fileSize }),
                "invalidFiles": .int(all.count - files.count),
                "accessType": .string(record.accessType), "parent": record.parent.map(JSONValue.string) ?? .null,
            ]
            rows.append(.object(row))
            if !json {
                output.line("\(record.dataset)  blocks \(bulks.count)  files \(files.count)  events \(row["events"]!.intValue ?? 0)"
                            + (all.count > files.count ? "  invalid files \(all.count - files.count)" : ""))
            }
        }
        if json { output.line(JSONValue.array(rows).serialized) }
    }

    static func blocks(_ catalog: CatalogStore, dataset: String?, json: Bool, output: Wmctl.Output) throws {
        let names = try dataset.map { [$0] } ?? catalog.datasetRecords().map(\.dataset)
        var rows: [JSONValue] = []
        for name in names {
            if dataset != nil { _ = try self.dataset(catalog, name) }
            for bulk in try catalog.bulkBlocks(of: name) {
                let b = bulk.block
                rows.append(.object(["block": .string(b.blockName), "dataset": .string(name), "location": .string(b.originSiteName),
                                     "files": .int(b.fileCount), "size": .int(b.blockSize),
                                     "events": .int(bulk.files.reduce(0) { $0 + $1.eventCount })]))
                if !json { output.line("\(b.blockName)  \(b.originSiteName)  files \(b.fileCount)  size \(b.blockSize)") }
            }
        }
        if json { output.line(JSONValue.array(rows).serialized) }
    }

    static func files(_ catalog: CatalogStore, name: String, json: Bool, output: Wmctl.Output) throws {
        let datasetName = String(name.split(separator: "#", maxSplits: 1).first ?? "")
        let blocks = try dataset(catalog, datasetName).blocks.filter { !name.contains("#") || $0.name == name }
        var rows: [JSONValue] = []
        for block in blocks {
            for file in block.files {
                rows.append(.object(["lfn": .string(file.lfn), "block": .string(block.name), "size": .int(file.size),
                                     "events": .int(file.events), "adler32": .string(file.adler32), "valid": .bool(file.isValid),
                                     "parents": .array(file.parents.map(JSONValue.string))]))
                if !json { output.line("\(file.lfn)  events \(file.events)  size \(file.size)  adler32 \(file.adler32)" + (file.isValid ? "" : "  INVALID")) }
            }
        }
        if json { output.line(JSONValue.array(rows).serialized) }
    }

    static func lumis(_ catalog: CatalogStore, dataset name: String, json: Bool, output: Wmctl.Output) throws {
        var byRun: [Int: Set<Int>] = [:]
        for file in try dataset(catalog, name).files where file.isValid { for lumi in file.lumis { byRun[lumi.run, default: []].insert(lumi.lumi) } }
        if json {
            output.line(JSONValue.object(Dictionary(uniqueKeysWithValues: byRun.map { (String($0.key), JSONValue.array($0.value.sorted().map(JSONValue.int))) })).serialized)
            return
        }
        for (run, lumis) in byRun.sorted(by: { $0.key < $1.key }) {
            output.line("run \(run): " + lumis.sorted().map(String.init).joined(separator: " "))
        }
    }

    /// Every event of the dataset's files, read from storage (PFN = the prefix `etc/sites.json` gives the PNN, by default
    /// `<spool>/storage/<PNN>`, + LFN), in LFN order.
    static func events(_ catalog: CatalogStore, dataset name: String, spool: Spool, output: Wmctl.Output) throws {
        let entries = try dataset(catalog, name).blocks.flatMap { block in block.files.filter(\.isValid).map { (file: $0, locations: block.locations) } }
        let sites = (try? ExecutionLayout.siteConfiguration(spool: spool))?.sites ?? []
        let prefix = { (pnn: String) in sites.first { $0.storageElement == pnn }?.pfn(forLFN: "", spoolRoot: spool.root) ?? spool.path(Layout.storage(pnn)) }
        for entry in entries.sorted(by: { $0.file.lfn < $1.file.lfn }) {
            guard let path = entry.locations.map({ prefix($0) + entry.file.lfn }).first(where: Spool.fileExists) else {
                throw CommandFailure(.noInput, "wmctl catalog events: \(entry.file.lfn) is at none of \(entry.locations) under \(spool.path(Layout.storageRoot))")
            }
            var text = ""
            do { try EventListing.printEvents(in: path, to: &text) } catch {
                throw CommandFailure(.dataError, "wmctl catalog events: \(path): \(error)")
            }
            output.stdout += text
        }
    }

    /// Loads an `insertBulkBlock` JSON file: one block object or an array of them.
    static func importBlocks(_ catalog: CatalogStore, file: String, output: Wmctl.Output) throws {
        guard let data = FileManager.default.contents(atPath: file) else { throw CommandFailure(.noInput, "wmctl catalog import: \(file): no such file") }
        let bulks: [BulkBlock]
        do {
            if let list = try? JSONDecoder().decode([BulkBlock].self, from: data) { bulks = list } else {
                bulks = [try JSONDecoder().decode(BulkBlock.self, from: data)]
            }
        } catch {
            throw CommandFailure(.dataError, "wmctl catalog import: " + describeDecodingError(error, file: file))
        }
        for bulk in bulks {
            do {
                let outcome = try catalog.insert(bulk)
                output.line("\(outcome == .inserted ? "imported" : "already present") \(bulk.block.blockName) (\(bulk.files.count) files)")
            } catch let error as BulkBlockError {
                throw CommandFailure(.dataError, "wmctl catalog import: \(file): \(error)")
            } catch let error as CatalogError {
                throw CommandFailure(.dataError, "wmctl catalog import: \(file): \(error)")
            }
        }
    }
}
