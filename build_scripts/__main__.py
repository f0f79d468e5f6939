from build_scripts.cli import main

raise SystemExit(main())
