import Stages

StageMain.run(program: "wm-jobcreator",
              summary: "splits the available files of each subscription into jobs in jobs/created/ (createfailed/ when no site can run one)",
              example: "WM_SPOOL=/data/spool wm-jobcreator --once") { _ in JobCreatorStage() }
