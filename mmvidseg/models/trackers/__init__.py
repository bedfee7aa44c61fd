# Copyright (c) mmvidseg contributors. All rights reserved.
