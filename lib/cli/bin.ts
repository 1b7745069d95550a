#!/usr/bin/env node
/** The `tsdags` executable (package.json "bin"); see main.ts. */
import { cli } from './main.js';

cli(process.argv);
