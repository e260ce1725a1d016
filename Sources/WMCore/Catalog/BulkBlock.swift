import Foundation

/// The DBS3 `insertBulkBlock` JSON: one block with its files, configurations and dataset metadata.
public struct BulkBlock: Codable, Hashable, Sendable {
    /// Output configurations of the dataset (`dataset_conf_list`).
    public var datasetConfList: [BulkConfig]
    /// Output configuration per file (`file_conf_list`).
    public var fileConfList: [BulkFileConfig]
    /// The files (`files`).
    public var files: [BulkFile]
    /// The block (`block`).
    public var block: BulkBlockInfo
    /// Processing era (`processing_era`).
    public var processingEra: BulkProcessingEra
    /// Acquisition era (`acquisition_era`).
    public var acquisitionEra: BulkAcquisitionEra
    /// Primary dataset (`primds`).
    public var primds: BulkPrimaryDataset
    /// The dataset (`dataset`).
    public var dataset: BulkDataset
    /// File parentage (`file_parent_list`); DBS skips it when `dataset_parent_list` is set.
    public var fileParentList: [BulkFileParent]
    /// Parent datasets (`dataset_parent_list`).
    public var datasetParentList: [String]

    enum CodingKeys: String, CodingKey {
        case datasetConfList = "dataset_conf_list", fileConfList = "file_conf_list", files, block
        case processingEra = "processing_era", acquisitionEra = "acquisition_era", primds, dataset
        case fileParentList = "file_parent_list", datasetParentList = "dataset_parent_list"
    }

    /// Decodes the JSON; the two parent lists may be absent.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        datasetConfList = try c.decode([BulkConfig].self, forKey: .datasetConfList)
        fileConfList = try c.decode([BulkFileConfig].self, forKey: .fileConfList)
        files = try c.decode([BulkFile].self, forKey: .files)
        block = try c.decode(BulkBlockInfo.self, forKey: .block)
        processingEra = try c.decode(BulkProcessingEra.self, forKey: .processingEra)
        acquisitionEra = try c.decode(BulkAcquisitionEra.self, forKey: .acquisitionEra)
        primds = try c.decode(BulkPrimaryDataset.self, forKey: .primds)
        dataset = try c.decode(BulkDataset.self, forKey: .dataset)
        fileParentList = try c.decodeIfPresent([BulkFileParent].self, forKey: .fileParentList) ?? []
        datasetParentList = try c.decodeIfPresent([String].self, forKey: .datasetParentList) ?? []
    }

    /// Makes the JSON body from its parts.
    public init(datasetConfList: [BulkConfig], fileConfList: [BulkFileConfig], files: [BulkFile],
                block: BulkBlockInfo, processingEra: BulkProcessingEra, acquisitionEra: BulkAcquisitionEra,
                primds: BulkPrimaryDataset, dataset: BulkDataset, fileParentList: [BulkFileParent],
                datasetParentList: [String]) {
        self.datasetConfList = datasetConfList
        self.fileConfList = fileConfList
        self.files = files
        self.block = block
        self.processingEra = processingEra
        self.acquisitionEra = acquisitionEra
        self.primds = primds
        self.dataset = dataset
        self.fileParentList = fileParentList
        self.datasetParentList = datasetParentList
    }
}

/// An output configuration: `{release_version, pset_hash, app_name, output_module_label, global_tag}`.
public struct BulkConfig: Codable, Hashable, Sendable {
    /// CMSSW release, e.g. `CMSSW_12_0_0`.
    public var releaseVersion: String
    /// Parameter-set hash (WMAgent uploads `GIBBERISH`).
    public var psetHash: String
    /// Application name, `cmsRun`.
    public var appName: String
    /// The output module label.
    public var outputModuleLabel: String
    /// The global tag.
    public var globalTag: String

    enum CodingKeys: String, CodingKey {
        case releaseVersion = "release_version", psetHash = "pset_hash", appName = "app_name"
        case outputModuleLabel = "output_module_label", globalTag = "global_tag"
    }

    /// Makes a configuration.
    public init(releaseVersion: String, psetHash: String = "GIBBERISH", appName: String = "cmsRun",
                outputModuleLabel: String, globalTag: String) {
        self.releaseVersion = releaseVersion
        self.psetHash = psetHash
        self.appName = appName
        self.outputModuleLabel = outputModuleLabel
        self.globalTag = globalTag
    }
}

/// A file's output configuration: the `BulkConfig` fields plus `lfn`.
public struct BulkFileConfig: Codable, Hashable, Sendable {
    /// The configuration.
    public var config: BulkConfig
    /// The file it applies to.
    public var lfn: String

    /// Makes a file configuration.
    public init(config: BulkConfig, lfn: String) {
        self.config = config
        self.lfn = lfn
    }

    enum CodingKeys: String, CodingKey { case lfn }

    /// Decodes the flat JSON object.
    public init(from decoder: Decoder) throws {
        config = try BulkConfig(from: decoder)
        lfn = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .lfn)
    }

    /// Encodes the flat JSON object.
    public func encode(to encoder: Encoder) throws {
        try config.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(lfn, forKey: .lfn)
    }
}

/// One entry of a file's `file_lumi_list`.
public struct BulkFileLumi: Codable, Hashable, Sendable {
    /// Lumi section number.
    public var lumiSectionNum: Int
    /// Run number.
    public var runNum: Int
    /// Events in this lumi, when known.
    public var eventCount: Int?

    enum CodingKeys: String, CodingKey {
        case lumiSectionNum = "lumi_section_num", runNum = "run_num", eventCount = "event_count"
    }

    /// Makes an entry.
    public init(lumiSectionNum: Int, runNum: Int, eventCount: Int? = nil) {
        self.lumiSectionNum = lumiSectionNum
        self.runNum = runNum
        self.eventCount = eventCount
    }
}

/// A file of the block.
public struct BulkFile: Codable, Hashable, Sendable {
    /// Always `EDM` for WMAgent uploads.
    public var fileType: String
    /// The LFN.
    public var logicalFileName: String
    /// Size in bytes.
    public var fileSize: Int
    /// Number of events.
    public var eventCount: Int
    /// Who wrote it last.
    public var lastModifiedBy: String
    /// When, seconds since the epoch.
    public var lastModificationDate: Int
    /// Always 0.0 for WMAgent uploads.
    public var autoCrossSection: Double
    /// The `cksum` checksum.
    public var checkSum: String
    /// The Adler-32 checksum.
    public var adler32: String
    /// The MD5 checksum (`NOTSET` when unknown).
    public var md5: String
    /// Runs and lumis.
    public var fileLumiList: [BulkFileLumi]
    /// DBS's `is_file_valid`: 0 for an invalidated file; absent (nil) for a valid one, as DBS takes it.
    public var isFileValid: Int?

    enum CodingKeys: String, CodingKey {
        case fileType = "file_type", logicalFileName = "logical_file_name", fileSize = "file_size"
        case eventCount = "event_count", lastModifiedBy = "last_modified_by"
        case lastModificationDate = "last_modification_date", autoCrossSection = "auto_cross_section"
        case checkSum = "check_sum", adler32, md5, fileLumiList = "file_lumi_list", isFileValid = "is_file_valid"
    }

    /// Makes a file entry.
    public init(fileType: String = "EDM", logicalFileName: String, fileSize: Int, eventCount: Int,
                lastModifiedBy: String, lastModificationDate: Int, autoCrossSection: Double = 0.0,
                checkSum: String, adler32: String, md5: String, fileLumiList: [BulkFileLumi], isFileValid: Int? = nil) {
        self.fileType = fileType
        self.logicalFileName = logicalFileName
        self.fileSize = fileSize
        self.eventCount = eventCount
        self.lastModifiedBy = lastModifiedBy
        self.lastModificationDate = lastModificationDate
        self.autoCrossSection = autoCrossSection
        self.checkSum = checkSum
        self.adler32 = adler32
        self.md5 = md5
        self.fileLumiList = fileLumiList
        self.isFileValid = isFileValid
    }
}

/// The `block` object.
public struct BulkBlockInfo: Codable, Hashable, Sendable {
    /// `<dataset>#<uuid>`.
    public var blockName: String
    /// The PNN where the block was written.
    public var originSiteName: String
    /// 1 while open, 0 when closed.
    public var openForWriting: Int
    /// Creator.
    public var createBy: String
    /// Creation time, seconds since the epoch.
    public var creationDate: Int
    /// Total bytes.
    public var blockSize: Int
    /// Number of files.
    public var fileCount: Int

    enum CodingKeys: String, CodingKey {
        case blockName = "block_name", originSiteName = "origin_site_name", openForWriting = "open_for_writing"
        case createBy = "create_by", creationDate = "creation_date", blockSize = "block_size"
        case fileCount = "file_count"
    }

    /// Makes the block object.
    public init(blockName: String, originSiteName: String, openForWriting: Int, createBy: String,
                creationDate: Int, blockSize: Int, fileCount: Int) {
        self.blockName = blockName
        self.originSiteName = originSiteName
        self.openForWriting = openForWriting
        self.createBy = createBy
        self.creationDate = creationDate
        self.blockSize = blockSize
        self.fileCount = fileCount
    }
}

/// The `processing_era` object.
public struct BulkProcessingEra: Codable, Hashable, Sendable {
    /// The processing version N of `v<N>`.
    public var processingVersion: Int
    /// Creator.
    public var createBy: String
    /// Free text.
    public var description: String

    enum CodingKeys: String, CodingKey {
        case processingVersion = "processing_version", createBy = "create_by", description
    }

    /// Makes the object.
    public init(processingVersion: Int, createBy: String, description: String) {
        self.processingVersion = processingVersion
        self.createBy = createBy
        self.description = description
    }
}

/// The `acquisition_era` object.
public struct BulkAcquisitionEra: Codable, Hashable, Sendable {
    /// The era name.
    public var acquisitionEraName: String
    /// Start date (WMAgent sends 0).
    public var startDate: Int

    enum CodingKeys: String, CodingKey { case acquisitionEraName = "acquisition_era_name", startDate = "start_date" }

    /// Makes the object.
    public init(acquisitionEraName: String, startDate: Int = 0) {
        self.acquisitionEraName = acquisitionEraName
        self.startDate = startDate
    }
}

/// The `primds` object.
public struct BulkPrimaryDataset: Codable, Hashable, Sendable {
    /// Primary dataset name.
    public var primaryDsName: String
    /// `mc` or `data`.
    public var primaryDsType: String
    /// Creator.
    public var createBy: String
    /// Creation time, seconds since the epoch.
    public var creationDate: Int

    enum CodingKeys: String, CodingKey {
        case primaryDsName = "primary_ds_name", primaryDsType = "primary_ds_type", createBy = "create_by"
        case creationDate = "creation_date"
    }

    /// Makes the object.
    public init(primaryDsName: String, primaryDsType: String, createBy: String, creationDate: Int) {
        self.primaryDsName = primaryDsName
        self.primaryDsType = primaryDsType
        self.createBy = createBy
        self.creationDate = creationDate
    }
}

/// The `dataset` object.
public struct BulkDataset: Codable, Hashable, Sendable {
    /// Physics group, e.g. `NoGroup`.
    public var physicsGroupName: String
    /// Processed dataset name.
    public var processedDsName: String
    /// Data tier.
    public var dataTierName: String
    /// `VALID`, `PRODUCTION`, ...
    public var datasetAccessType: String
    /// The full dataset path.
    public var dataset: String
    /// The PrepID of the request that made it.
    public var prepId: String?

    enum CodingKeys: String, CodingKey {
        case physicsGroupName = "physics_group_name", processedDsName = "processed_ds_name"
        case dataTierName = "data_tier_name", datasetAccessType = "dataset_access_type", dataset
        case prepId = "prep_id"
    }

    /// Makes the object.
    public init(physicsGroupName: String, processedDsName: String, dataTierName: String,
                datasetAccessType: String, dataset: String, prepId: String?) {
        self.physicsGroupName = physicsGroupName
        self.processedDsName = processedDsName
        self.dataTierName = dataTierName
        self.datasetAccessType = datasetAccessType
        self.dataset = dataset
        self.prepId = prepId
    }
}

/// One `file_parent_list` entry.
public struct BulkFileParent: Codable, Hashable, Sendable {
    /// The parent's LFN.
    public var parentLogicalFileName: String
    /// The child's LFN.
    public var logicalFileName: String

    enum CodingKeys: String, CodingKey {
        case parentLogicalFileName = "parent_logical_file_name", logicalFileName = "logical_file_name"
    }

    /// Makes an entry.
    public init(parentLogicalFileName: String, logicalFileName: String) {
        self.parentLogicalFileName = parentLogicalFileName
        self.logicalFileName = logicalFileName
    }
}

extension BulkFile {
    /// True unless the file is invalidated (`is_file_valid: 0`; absent counts as valid, as DBS takes it).
    public var isValid: Bool { (isFileValid ?? 1) != 0 }
}
