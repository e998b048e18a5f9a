"""Time as the office counts it: official working days with 调休 (``workdays``), deadlines as
documents write them ("三月中旬前", "3个工作日内", "每月5日前") resolved to aware moments
(``deadlines`` with the table of forms in ``deadline_forms``), the 红黄绿灯 rule (``lights``) and
showing times in the local zone (``timefmt``).

Every function here takes the moment it works from; none reads the clock.
"""
