insert into public.countries (name, iso2, continent, population_millions) values
  ('Brazil', 'BR', 'South America', 203.06),
  ('Canada', 'CA', 'North America', 40.10),
  ('Japan', 'JP', 'Asia', 124.50),
  ('Kenya', 'KE', 'Africa', 55.10),
  ('Norway', 'NO', 'Europe', 5.55),
  ('New Zealand', 'NZ', 'Oceania', 5.22);
