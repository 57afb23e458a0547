-- The Home Office VRU success measures, in the order the return lists them, and whether the
-- publication behind each gives an age (so an under-25 figure can be shown).
select * from (values
    ('sharp_object_admissions', 1,
     'Hospital admissions for assault with a knife or sharp object (HES, ICD-10 X99)', true),
    ('knife_enabled_serious_violence', 2,
     'Knife-enabled serious violence: offences involving a knife or sharp instrument recorded by the police', false),
    ('homicides', 3, 'Homicides (Homicide Index)', true),
    ('non_domestic_homicides', 4, 'Non-domestic homicides (Homicide Index)', true)
) as catalogue(measure_id, measure_order, measure_name, under_25_published)
