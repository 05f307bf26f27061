from tunelint.cli import main

raise SystemExit(main())
